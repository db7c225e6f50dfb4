#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) for a bounded time each.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# cargo-fuzz, built from crates.io into the cache on first use.
CARGO_FUZZ_VERSION=0.13.2
# The longest input tried.
MAX_LEN=4096
# The largest input --merge adds to the committed corpus (keeps it well under 2 MB in all).
MERGE_MAX_BYTES=1024

usage() {
    cat <<USAGE
Usage: scripts/fuzz.sh [--seconds N] [--only TARGET[,TARGET...]] [--merge] [--list] [--help]

Runs each fuzz target of fuzz/fuzz_targets/ for a bounded time, one after the other, and prints
per target the executions, the time and the crashes; each target counts as one test, and the last
line is "fuzz: N passed, N failed". A target fails when it crashes (a panic, a failed assertion,
a timeout of 10 s on one input, or over 2 GiB of memory) or when a committed reproducer of
fuzz/artifacts/TARGET/ fails again. Exits 1 if any target failed.

  --seconds N   fuzz each target for N seconds (default ${FUZZ_SECONDS:-60}, or FUZZ_SECONDS; the
                test command, scripts/test-all.sh, uses the default; use more by hand, e.g. 600)
  --only LIST   run only these targets (comma-separated; default: all of them)
  --merge       afterwards, add to the committed corpus fuzz/corpus/TARGET/ the inputs found so
                far (in fuzz/target/corpus/TARGET/) of at most $MERGE_MAX_BYTES bytes that reach new
                coverage (libFuzzer -merge=1), then commit them
  --list        print the targets and exit

What happens, per target:
  1. the committed reproducers in fuzz/artifacts/TARGET/ are run once (each must pass now);
  2. libFuzzer starts from fuzz/corpus/TARGET/ (read only) plus a working corpus in
     fuzz/target/corpus/TARGET/ (where the inputs it finds go), with fuzz/dicts/*.dict;
  3. a crash writes its input to fuzz/artifacts/TARGET/crash-*: commit it as the reproducer,
     fix the bug, and keep the file (step 1 then guards the fix).

Installs on first use: cargo-fuzz $CARGO_FUZZ_VERSION with 'cargo install --locked' into
${IAV_CACHE:-\$HOME/.cache/iav-bridge}/cargo-fuzz (about 1 to 2 minutes on 2 cores), unless a
cargo-fuzz of that version is on PATH. The targets build with the stable toolchain: cargo-fuzz's
instrumentation flags are unstable rustc flags, which RUSTC_BOOTSTRAP=1 unlocks on stable
(no nightly is needed). No sanitizer (-s none): the project's code has no unsafe code of its
own to check, and the coverage instrumentation is what the fuzzing needs. The first build of
fuzz/ takes about 3 to 6 minutes on 2 cores; later ones seconds.
USAGE
}

SECONDS_EACH="${FUZZ_SECONDS:-60}"
ONLY=""
MERGE=0
LIST=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --seconds)
            [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die_usage "--seconds needs a whole number of seconds"
            SECONDS_EACH="$2"; shift 2 ;;
        --only) [ -n "${2:-}" ] || die_usage "--only needs target names"; ONLY="$2"; shift 2 ;;
        --merge) MERGE=1; shift ;;
        --list) LIST=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die_usage "unknown argument: $1" ;;
    esac
done
[[ "$SECONDS_EACH" =~ ^[1-9][0-9]*$ ]] || die_usage "FUZZ_SECONDS must be a whole number of seconds"

FUZZ="$REPO/fuzz"
FUZZ_TARGET_DIR="$FUZZ/target"
ALL_TARGETS="$(find "$FUZZ/fuzz_targets" -maxdepth 1 -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort | tr '\n' ' ')"
if [ "$LIST" -eq 1 ]; then
    echo "$ALL_TARGETS"
    exit 0
fi
TARGETS=""
for t in $ALL_TARGETS; do
    if [ -z "$ONLY" ] || [[ ",$ONLY," == *",$t,"* ]]; then TARGETS="$TARGETS $t"; fi
done
for t in ${ONLY//,/ }; do
    [[ " $ALL_TARGETS " == *" $t "* ]] || die_usage "no fuzz target '$t' (targets: $ALL_TARGETS)"
done

# ------------------------------------------------------------------------------------ cargo-fuzz

# install_cargo_fuzz: puts a cargo-fuzz of CARGO_FUZZ_VERSION on PATH, building it into the cache
# when there is none.
install_cargo_fuzz() {
    local root="$CACHE/cargo-fuzz"
    export PATH="$root/bin:$PATH"
    if cargo fuzz --version 2>/dev/null | grep -q "cargo-fuzz $CARGO_FUZZ_VERSION\$"; then
        return 0
    fi
    with_lock 8 "$CACHE/cargo-fuzz.lock" 900 "cargo-fuzz installation"
    if cargo fuzz --version 2>/dev/null | grep -q "cargo-fuzz $CARGO_FUZZ_VERSION\$"; then
        return 0
    fi
    local started=$SECONDS
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $root (cargo install, about 1 to 2 minutes)"
    cargo install --quiet --locked --version "$CARGO_FUZZ_VERSION" --root "$root" cargo-fuzz ||
        die "cargo install cargo-fuzz $CARGO_FUZZ_VERSION failed"
    log "installed cargo-fuzz in $((SECONDS - started)) s"
}

# cargo_fuzz ARGS...: cargo fuzz on the stable toolchain, always on fuzz/ and its own target dir.
cargo_fuzz() {
    local sub="$1"
    shift
    (cd "$REPO" && RUSTC_BOOTSTRAP=1 cargo fuzz "$sub" --fuzz-dir "$FUZZ" "$@")
}

# ------------------------------------------------------------------------------------ one target

# The value of libFuzzer's final "stat::NAME: VALUE" line in a log (0 when absent).
stat() {
    local v
    v="$(sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1)"
    echo "${v:-0}"
}

# fuzz_one TARGET: replays the committed reproducers, then fuzzes for SECONDS_EACH. Prints one
# line; returns 1 when the target failed.
fuzz_one() {
    local t="$1" bin="$BIN_DIR/$1" work="$FUZZ_TARGET_DIR/corpus/$1" seeds="$FUZZ/corpus/$1"
    local artifacts="$FUZZ/artifacts/$1" run_log="$LOG_DIR/$1.log" dicts=() status=0
    mkdir -p "$work" "$seeds" "$artifacts"
    : >"$run_log"
    local reproducers=()
    while IFS= read -r -d '' f; do reproducers+=("$f"); done < <(find "$artifacts" -type f ! -name '*.md' -print0 | sort -z)
    if [ "${#reproducers[@]}" -gt 0 ] && ! "$bin" "${reproducers[@]}" >>"$run_log" 2>&1; then
        grep -m 3 -E "panicked at|^  (left|right):|Running: " "$run_log" | sed 's/^/    /'
        echo "FAIL  $t: a committed reproducer of fuzz/artifacts/$t/ fails again (log: $run_log)"
        return 1
    fi
    case "$t" in
        redirect_* | href_*) dicts=(-dict="$FUZZ/dicts/url.dict") ;;
        *) dicts=(-dict="$FUZZ/dicts/json.dict") ;;
    esac
    local before started=$SECONDS crashes_after
    before="$(find "$work" -type f | wc -l)"
    : >"$LOG_DIR/$t.started"
    timeout --kill-after=10 $((SECONDS_EACH + 120)) "$bin" "$work" "$seeds" \
        -max_total_time="$SECONDS_EACH" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "${dicts[@]}" >>"$run_log" 2>&1 || status=$?
    local secs=$((SECONDS - started))
    crashes_after="$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) -newer "$LOG_DIR/$t.started" | wc -l)"
    local execs rate units
    execs="$(stat number_of_executed_units "$run_log")"
    rate="$(stat average_exec_per_sec "$run_log")"
    units="$(find "$work" "$seeds" -type f | wc -l)"
    local line
    line="$t: $execs executions in ${secs}s ($rate/s), $crashes_after crashes, corpus $units inputs (+$(($(find "$work" -type f | wc -l) - before)) this run)"
    if [ "$status" -eq 0 ] && [ "$crashes_after" -eq 0 ] && [ "$execs" -eq 0 ]; then
        echo "FAIL  $line: libFuzzer printed no final stats (an incomplete log, or no input ran: $run_log)"
        return 1
    fi
    if [ "$status" -ne 0 ] || [ "$crashes_after" -gt 0 ]; then
        grep -m 4 -E "panicked at|^  (left|right):|SUMMARY|Test unit written" "$run_log" | sed 's/^/    /'
        echo "FAIL  $line; exit $status (log: $run_log)"
        return 1
    fi
    echo "PASS  $line"
    if [ "$MERGE" -eq 1 ]; then
        local n_before n_after
        n_before="$(find "$seeds" -type f | wc -l)"
        local small="$FUZZ_TARGET_DIR/merge/$t"
        rm -rf "$small" && mkdir -p "$small"
        find "$work" -type f -size -$((MERGE_MAX_BYTES + 1))c -exec cp -t "$small" {} +
        "$bin" -merge=1 -max_len="$MAX_LEN" "$seeds" "$small" >>"$run_log" 2>&1 ||
            { echo "      merge into fuzz/corpus/$t failed (log: $run_log)"; return 1; }
        n_after="$(find "$seeds" -type f | wc -l)"
        echo "      merged $((n_after - n_before)) inputs with new coverage into fuzz/corpus/$t ($(find "$seeds" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}') bytes in all)"
    fi
}

# ------------------------------------------------------------------------------------ main

install_cargo_fuzz
LOG_DIR="$TARGET_DIR/fuzz"
mkdir -p "$LOG_DIR"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
BIN_DIR="$FUZZ_TARGET_DIR/$HOST/release"

# -O: release without cargo-fuzz's global debug assertions (fuzz/Cargo.toml turns debug
# assertions and overflow checks on for the project's own crates only).
build_started=$SECONDS
log "building the fuzz targets (cargo fuzz build -O -s none)"
if ! cargo_fuzz build -O -s none --target-dir "$FUZZ_TARGET_DIR" >"$LOG_DIR/build.log" 2>&1; then
    tail -n 30 "$LOG_DIR/build.log" >&2
    print_counts fuzz 0 1
    die "the fuzz targets did not build (log: $LOG_DIR/build.log)"
fi
# fuzz/ is its own workspace, which the test command's fmt and clippy steps do not see.
if ! (cd "$FUZZ" && cargo fmt --check) >"$LOG_DIR/fmt.log" 2>&1; then
    cat "$LOG_DIR/fmt.log" >&2
    print_counts fuzz 0 1
    die "fuzz/ is not formatted: run (cd fuzz && cargo fmt)"
fi
if ! (cd "$FUZZ" && cargo clippy -q --all-targets -- -D warnings) >"$LOG_DIR/clippy.log" 2>&1; then
    cat "$LOG_DIR/clippy.log" >&2
    print_counts fuzz 0 1
    die "clippy warns on fuzz/ (log: $LOG_DIR/clippy.log)"
fi
log "built and checked (fmt, clippy) in $((SECONDS - build_started)) s; fuzzing each target for $SECONDS_EACH s:$TARGETS"

passed=0
failed=0
for t in $TARGETS; do
    if fuzz_one "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
print_counts fuzz "$passed" "$failed"
[ "$failed" -eq 0 ]
