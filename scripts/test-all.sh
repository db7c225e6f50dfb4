#!/usr/bin/env bash
# The project's one test command: Rust formatting, lints and tests (the fuzz corpora replayed
# among them), the bindings drift check, the Kotlin and Swift suites, Dwolla's Python client
# against the simulator and the mobile packaging checks. Installs what a fresh machine lacks
# (see --help).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/test-all.sh [--skip STEP[,STEP...]] [--only STEP[,STEP...]] [--list]

Runs every check of iav-bridge in order and prints a summary with each step's time; exits 1 if
any step failed. Each step's output is kept in target/test-all/STEP.log.

Steps (the default, in this order):
  fmt         cargo fmt --all -- --check
  clippy      cargo clippy --workspace --all-targets -- -D warnings
  rust        cargo build --workspace --all-targets (the one debug build the later steps reuse),
              then cargo test --workspace --no-fail-fast (core, sample-backend, simulator,
              examples, and the fuzz targets' checks replayed on fuzz/corpus and fuzz/artifacts)
              with a private PostgreSQL server (scripts/postgres.sh; Debian's postgresql,
              installed if missing) for the store and replica tests
  bindings    scripts/generate-bindings.sh --check (the committed Kotlin/Swift equal a fresh generation)
  kotlin      scripts/test-kotlin.sh (the generated Kotlin on the JVM against the host library)
  swift       scripts/test-swift.sh (the generated Swift on Linux, Swift 5 and Swift 6 modes)
  dwollav2    scripts/test-dwollav2.sh (Dwolla's official Python client against the simulator)
  packaging   scripts/check-packaging.sh (Android/iOS targets, 16 KB alignment, Package.swift,
              the AAR's Kotlin layer, the sample apps' project files)
  release     scripts/check-release.sh (actionlint and zizmor on .github/workflows, the scripts
              and Gradle tasks the workflows name, scripts/release.sh --check, the public API
              against api/, and self-tests of these checks)
  docs        scripts/docs.sh --check (the documentation site built into target/site/, its links,
              its snippets compiled, its figures against docs/benchmarks.json, its pages in
              headless Chromium)

Run only when named (--only fuzz), and by the scheduled fuzzing workflow:
  fuzz        scripts/fuzz.sh: coverage-guided fuzzing, each target of fuzz/ for 60 s
              (FUZZ_SECONDS to change it); installs cargo-fuzz into the cache on first use;
              about 7 minutes, 4 to 8 more the first time for cargo-fuzz and the instrumented
              build. What it has found stays checked by the rust step's replay.

Toolchains (kotlinc, JNA, JUnit, a Linux Swift toolchain, a Python venv) are installed into
${IAV_CACHE:-$HOME/.cache/iav-bridge} on first use and reused afterwards; a native swift or
kotlinc on PATH is used where present. Needs root for apt-get, debootstrap and mount on Linux.
The last line counts every test run by every step: "total: N passed, N failed".
USAGE
}

ALL_STEPS="fmt clippy rust bindings kotlin swift dwollav2 packaging release docs"
# Steps that run only when --only names them.
ON_REQUEST_STEPS="fuzz"
while [ "$#" -gt 0 ]; do
    case "$1" in
        --only | --skip) step_filter "$1" "${2:-}"; shift 2 ;;
        --list) echo "$ALL_STEPS $ON_REQUEST_STEPS"; exit 0 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$REPO" || exit 1
export CARGO_TERM_COLOR=never
LOGS="$TARGET_DIR/test-all"

# with_postgres CMD...: runs CMD with a private PostgreSQL server (scripts/postgres.sh) given to
# the tests as IAV_TEST_POSTGRES_URL, and IAV_REQUIRE_POSTGRES=1 so that no test skips for want
# of it; stops the server afterwards.
with_postgres() {
    local dir rc
    dir=$(mktemp -d /tmp/iav-postgres.XXXXXX) && chmod 755 "$dir" || return 1
    if ! scripts/postgres.sh start "$dir/cluster"; then
        rm -rf "$dir"
        return 1
    fi
    IAV_TEST_POSTGRES_URL=$(scripts/postgres.sh url "$dir/cluster") IAV_REQUIRE_POSTGRES=1 "$@"
    rc=$?
    scripts/postgres.sh stop "$dir/cluster" || true
    rm -rf "$dir"
    return "$rc"
}

run_step() {
    case "$1" in
        fmt) cargo fmt --all -- --check ;;
        clippy) cargo clippy --workspace --all-targets -- -D warnings ;;
        rust) build_host debug core backend bindgen && with_postgres cargo test --workspace --no-fail-fast ;;
        bindings) scripts/generate-bindings.sh --check ;;
        kotlin) scripts/test-kotlin.sh ;;
        swift) scripts/test-swift.sh ;;
        dwollav2) scripts/test-dwollav2.sh ;;
        packaging) scripts/check-packaging.sh ;;
        release) scripts/check-release.sh ;;
        docs) bash scripts/docs.sh --check ;;
        fuzz) scripts/fuzz.sh ;;
    esac
}

# Tests counted from each log ("PASSED FAILED"): cargo's "test result:" lines, and the closing
# "N passed, N failed" line of the other suites.
count_tests() {
    local log="$1" step="$2"
    if [ "$step" = rust ]; then
        sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log" |
            awk '{p+=$1; f+=$2} END {print p+0, f+0}'
    else
        read_counts "$log"
    fi
}

results=()
failed_steps=0
total_passed=0
total_failed=0
started_all=$SECONDS
for step in $ALL_STEPS $ON_REQUEST_STEPS; do
    step_selected "$step" || continue
    if [[ " $ON_REQUEST_STEPS " == *" $step "* ]] && [[ ",$STEPS_ONLY," != *",$step,"* ]]; then
        continue
    fi
    log="$LOGS/$step.log"
    echo "==> $step"
    run_logged "$log" run_step "$step"
    read -r p f < <(count_tests "$log" "$step"; echo "0 0") || true
    p=${p:-0}; f=${f:-0}
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    if [ "$RUN_STATUS" -eq 0 ]; then
        results+=("PASS  $step (${RUN_SECS}s, $p tests)")
    else
        results+=("FAIL  $step (${RUN_SECS}s, exit $RUN_STATUS, $f of $((p + f)) tests failed; see $log)")
        failed_steps=$((failed_steps + 1))
        if [ "$f" -eq 0 ]; then total_failed=$((total_failed + 1)); fi
    fi
done

print_summary "==> summary ($((SECONDS - started_all))s)" total "$total_passed" "$total_failed" "${results[@]}"
[ "$failed_steps" -eq 0 ]
