#!/usr/bin/perl -0pi
# The Swift cancellation fix, applied to the Swift that uniffi generates
# (scripts/generate-bindings.sh runs `perl scripts/lib/swift-cancellation-patch.pl IAVBridge.swift`).
#
# uniffi 0.32's Swift does not propagate Task cancellation to Rust (the Kotlin side does): a
# cancelled Task keeps waiting for the request, and a cancelled Rust future would hit a
# fatalError. This patches the generated async helper so that cancelling the Swift Task cancels
# the Rust future (dropping the request in flight) and throws CancellationError, as Kotlin's
# coroutines do; a future that had already finished when the Task was cancelled returns its
# result (Rust's completion reports CALL_CANCELLED only for a future it cancelled). Every part must apply exactly as expected, so a uniffi upgrade that changes the
# template fails generation instead of silently losing cancellation. The Swift suite's
# AbortTests prove that the connection in flight closes.
#
# Edits the file in place (-0pi: the whole file is one record).
    my $n = 0;
    $n += s/(fileprivate func uniffiRustCallAsync<F, T>\(\n(\s+)rustFutureFunc: .*?\n\s+freeFunc: \(UInt64\) -> \(\),\n)/$1$2cancelFunc: \@convention(c) (UInt64) -> (),\n/s;
    $n += s/\n(\s+)var pollResult: Int8;\n\s+repeat \{\n(.*?)\n\s+\} while pollResult != UNIFFI_RUST_FUTURE_POLL_READY\n/\n$1var pollResult: Int8 = UNIFFI_RUST_FUTURE_POLL_READY\n$1\/\/ Patched by scripts\/generate-bindings.sh: Task cancellation cancels the Rust future.\n$1await withTaskCancellationHandler {\n$1    repeat {\n$2\n$1    } while pollResult != UNIFFI_RUST_FUTURE_POLL_READY\n$1} onCancel: {\n$1    cancelFunc(rustFuture)\n$1}\n$1\/\/ No throw on Task.isCancelled here: a future cancelled before it finished completes with\n$1\/\/ CALL_CANCELLED (CancellationError below); one that finished first keeps its result, which\n$1\/\/ a cancellation at the last moment must not drop (a created funding source).\n/s;
    $n += s/fatalError\("Cancellation not supported yet"\)/throw CancellationError()/;
    my $sites = (s/(\n(\s+)freeFunc: ffi_(\w+)_rust_future_free_(\w+),\n)/$1$2cancelFunc: ffi_$3_rust_future_cancel_$4,\n/g);
    $n += ($sites > 0 ? 1 : 0);
    die "generate-bindings: the Swift cancellation patch applied $n of 4 parts\n" unless $n == 4;

