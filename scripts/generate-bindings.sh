#!/usr/bin/env bash
# Regenerates the Kotlin and Swift bindings of the core in library mode, or checks them for drift.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: scripts/generate-bindings.sh [--check]

Builds the core unstripped (cargo build -p iav-bridge --lib, debug: library-mode generation reads
uniffi's metadata from the library) and generates its bindings with the workspace's uniffi-bindgen
and uniffi.toml, then puts them where the packages and tests expect them:

  bindings/kotlin/dev/iavbridge/iav_bridge.kt
  bindings/swift/Sources/IAVBridge/IAVBridge.swift
  bindings/swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h
  bindings/swift/Headers/IAVBridgeFFI/module.modulemap

Options:
  --check     Generate into a temporary directory instead and compare with the files in the
              repository; exit 1 with a diff if anything differs (CI's drift check).
  -h, --help  Show this help.

Environment:
  CARGO_TARGET_DIR  honoured (default: target/ in the repository)
EOF
}

check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac

cd "$REPO"

case "$(uname -s)" in
    Darwin) LIB="$TARGET_DIR/debug/libiav_bridge.dylib" ;;
    *) LIB="$TARGET_DIR/debug/libiav_bridge.so" ;;
esac

log "building the core (debug, unstripped)"
build_host debug core bindgen

work="$(mktemp -d)"
on_exit rm -rf "$work"

bindgen() {
    # --no-format: the output must not depend on whether ktlint/swiftformat happen to be installed.
    "$TARGET_DIR/debug/uniffi-bindgen" generate --library "$LIB" --no-format "$@"
}
bindgen --language kotlin --out-dir "$work/kotlin-raw" >/dev/null
bindgen --language swift --out-dir "$work/swift-raw" >/dev/null

# uniffi 0.32's Swift does not propagate Task cancellation to Rust (the Kotlin side does): a
# cancelled Task keeps waiting for the request, and a cancelled Rust future would hit a
# fatalError. Patch the generated async helper so that cancelling the Swift Task cancels the Rust
# future (dropping the request in flight) and throws CancellationError, as Kotlin's coroutines do.
# Every patch must apply exactly as expected, so a uniffi upgrade that changes the template fails
# here instead of silently losing cancellation.
patch_swift_cancellation() {
    local file="$1"
    perl -0pi -e '
        my $n = 0;
        $n += s/(fileprivate func uniffiRustCallAsync<F, T>\(\n(\s+)rustFutureFunc: .*?\n\s+freeFunc: \(UInt64\) -> \(\),\n)/$1$2cancelFunc: \@convention(c) (UInt64) -> (),\n/s;
        $n += s/\n(\s+)var pollResult: Int8;\n\s+repeat \{\n(.*?)\n\s+\} while pollResult != UNIFFI_RUST_FUTURE_POLL_READY\n/\n$1var pollResult: Int8 = UNIFFI_RUST_FUTURE_POLL_READY\n$1\/\/ Patched by scripts\/generate-bindings.sh: Task cancellation cancels the Rust future.\n$1await withTaskCancellationHandler {\n$1    repeat {\n$2\n$1    } while pollResult != UNIFFI_RUST_FUTURE_POLL_READY\n$1} onCancel: {\n$1    cancelFunc(rustFuture)\n$1}\n$1if Task.isCancelled {\n$1    throw CancellationError()\n$1}\n/s;
        $n += s/fatalError\("Cancellation not supported yet"\)/throw CancellationError()/;
        my $sites = (s/(\n(\s+)freeFunc: ffi_(\w+)_rust_future_free_(\w+),\n)/$1$2cancelFunc: ffi_$3_rust_future_cancel_$4,\n/g);
        $n += ($sites > 0 ? 1 : 0);
        die "generate-bindings: the Swift cancellation patch applied $n of 4 parts\n" unless $n == 4;
    ' "$file"
}
patch_swift_cancellation "$work/swift-raw/IAVBridge.swift"

out="$work/out"
mkdir -p "$out/kotlin/dev/iavbridge" "$out/swift/Sources/IAVBridge" "$out/swift/Headers/IAVBridgeFFI"
mv "$work/kotlin-raw/dev/iavbridge/iav_bridge.kt" "$out/kotlin/dev/iavbridge/iav_bridge.kt"
mv "$work/swift-raw/IAVBridge.swift" "$out/swift/Sources/IAVBridge/IAVBridge.swift"
mv "$work/swift-raw/IAVBridgeFFI.h" "$out/swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h"
mv "$work/swift-raw/IAVBridgeFFI.modulemap" "$out/swift/Headers/IAVBridgeFFI/module.modulemap"

# Anything else the generator wrote would be silently dropped: refuse instead.
leftover="$(find "$work/kotlin-raw" "$work/swift-raw" -type f | sed "s|^$work/||")"
if [ -n "$leftover" ]; then
    die "unexpected generated files (update this script's layout):"$'\n'"$leftover"
fi

GENERATED=(
    kotlin/dev/iavbridge/iav_bridge.kt
    swift/Sources/IAVBridge/IAVBridge.swift
    swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h
    swift/Headers/IAVBridgeFFI/module.modulemap
)

if [ "$check" -eq 1 ]; then
    status=0
    for f in "${GENERATED[@]}"; do
        if [ ! -f "bindings/$f" ]; then
            log "bindings/$f is missing: run scripts/generate-bindings.sh"
            status=1
        elif ! diff -u "bindings/$f" "$out/$f" --label "bindings/$f (committed)" --label "bindings/$f (generated)"; then
            status=1
        fi
    done
    if [ "$status" -ne 0 ]; then
        die "the committed bindings differ from the core: run scripts/generate-bindings.sh and commit"
    fi
    echo "generate-bindings: bindings are up to date (${#GENERATED[@]} files)"
else
    for f in "${GENERATED[@]}"; do
        mkdir -p "bindings/$(dirname "$f")"
        cp "$out/$f" "bindings/$f"
    done
    echo "generate-bindings: wrote ${GENERATED[*]/#/bindings/}"
fi
