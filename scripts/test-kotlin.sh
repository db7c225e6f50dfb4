#!/usr/bin/env bash
# Compiles the generated Kotlin bindings with the Kotlin suite and runs it against the host build
# of the core and a running sample-backend.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/test-kotlin.sh [--only CLASS[,CLASS...]]

Runs the Kotlin suite (tests/kotlin/*.kt) on the JVM against the host build of the core:
  1. installs kotlinc, JNA and JUnit 4 when missing (scripts/toolchains.sh install kotlin);
  2. builds the core and the sample-backend (cargo, debug);
  3. starts target/debug/sample-backend on a loopback port (simulated Dwolla in-process);
  4. compiles the generated bindings (bindings/kotlin) and every test file in ONE kotlinc run;
  5. runs the JUnit 4 classes (*Test) with a runner whose last line is "N passed, N failed";
  6. stops the backend, whatever happened.
Exit status: 0 when every test passed, 1 otherwise.

Options:
  --only CLASSES  run only these test classes (simple names, comma-separated), e.g. FlowTest
  --no-compile    reuse the jar of the previous run (target/kotlin-tests/tests.jar)
  -h, --help      show this help

Environment: IAV_CACHE (toolchain cache, see scripts/toolchains.sh), CARGO_TARGET_DIR.
EOF
}

only=""
compile=1
while [ "$#" -gt 0 ]; do
    case "$1" in
        --only) only="${2:?--only needs class names}"; shift 2 ;;
        --no-compile) compile=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"

scripts/toolchains.sh install kotlin
eval "$(scripts/toolchains.sh kotlin-env)"

echo "test-kotlin: building the core and the sample-backend" >&2
cargo build -q -p iav-bridge --lib
cargo build -q -p sample-backend --bin sample-backend

work="$(mktemp -d)"
backend_pid=""
cleanup() {
    if [ -n "$backend_pid" ] && kill -0 "$backend_pid" 2>/dev/null; then
        kill "$backend_pid" 2>/dev/null || true
        wait "$backend_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start the backend (it writes the ready file once it listens).
backend_log="$TARGET_DIR/kotlin-tests/backend.log"
mkdir -p "$(dirname "$backend_log")"
"$TARGET_DIR/debug/sample-backend" --listen 127.0.0.1:0 --ready-file "$work/ready.json" >"$backend_log" 2>&1 &
backend_pid=$!
for _ in $(seq 1 300); do
    [ -s "$work/ready.json" ] && break
    kill -0 "$backend_pid" 2>/dev/null || { tail -n 30 "$backend_log" >&2; echo "test-kotlin: sample-backend exited" >&2; exit 1; }
    sleep 0.1
done
[ -s "$work/ready.json" ] || { echo "test-kotlin: sample-backend did not become ready in 30 s" >&2; exit 1; }
sleep 0.1 # the file is written whole, but give a slow writer a moment

out="$TARGET_DIR/kotlin-tests"
mkdir -p "$out"
cp_compile="$JNA_JAR:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar:$JUNIT_JAR:$HAMCREST_JAR"
if [ "$compile" -eq 1 ] || [ ! -f "$out/tests.jar" ]; then
    echo "test-kotlin: compiling bindings + tests with $("$KOTLINC" -version 2>&1 | tail -n1)" >&2
    start=$(date +%s)
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$cp_compile" \
        bindings/kotlin/dev/iavbridge/*.kt tests/kotlin/*.kt -d "$out/tests.jar"
    echo "test-kotlin: compiled in $(($(date +%s) - start)) s" >&2
fi

classes=()
while IFS= read -r entry; do
    cls="${entry%.class}"
    classes+=("${cls//\//.}")
done < <(jar tf "$out/tests.jar" | grep -E '^dev/iavbridge/tests/[A-Za-z0-9_]+Test\.class$' | sort)
if [ -n "$only" ]; then
    selected=()
    IFS=',' read -r -a wanted <<<"$only"
    for w in "${wanted[@]}"; do selected+=("dev.iavbridge.tests.$w"); done
    classes=("${selected[@]}")
fi
[ "${#classes[@]}" -gt 0 ] || { echo "test-kotlin: no test classes found" >&2; exit 1; }

echo "test-kotlin: running ${#classes[@]} classes (sample-backend log: $backend_log)" >&2
# The runner's last line is the summary; nothing is printed after it.
IAV_READY_FILE="$work/ready.json" java -Djna.library.path="$TARGET_DIR/debug" \
    -cp "$out/tests.jar:$cp_compile:$KOTLIN_LIB/kotlin-stdlib.jar" \
    dev.iavbridge.tests.RunnerKt "${classes[@]}"
