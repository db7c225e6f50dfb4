#!/usr/bin/env bash
# Compiles the generated Kotlin bindings with the Kotlin suite and runs it against the host build
# of the core and a running sample-backend.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: scripts/test-kotlin.sh [--only CLASS[,CLASS...]]

Runs the Kotlin suite (tests/kotlin/*.kt) on the JVM against the host build of the core:
  1. resolves from Maven Central, when missing, the Kotlin compiler and standard library,
     kotlinx-coroutines-core-jvm and JNA at the versions the AAR declares
     (bindings/android/gradle/libs.versions.toml), and JUnit 4 (scripts/toolchains.sh install
     kotlin); the runner prints the versions it runs on and fails when one differs;
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

cd "$REPO"
out="$TARGET_DIR/kotlin-tests"
mkdir -p "$out"

kotlin_toolchain

log "building the core and the sample-backend"
build_host debug core backend

# The backend writes the ready file once it listens; it is stopped when this script exits.
work="$(mktemp -d)"
on_exit rm -rf "$work"
ready="$work/ready.json"
backend_log="$out/backend.log"
start_service sample-backend "$ready" "$backend_log" \
    "$TARGET_DIR/debug/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready"

cp_compile="$KOTLIN_BINDINGS_CP:$JUNIT_JAR:$HAMCREST_JAR"
if [ "$compile" -eq 1 ] || [ ! -f "$out/tests.jar" ]; then
    log "compiling bindings + tests with $("$KOTLINC" -version 2>&1 | tail -n1)"
    start=$SECONDS
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$cp_compile" \
        bindings/kotlin/dev/iavbridge/*.kt tests/kotlin/*.kt -d "$out/tests.jar"
    log "compiled in $((SECONDS - start)) s"
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
[ "${#classes[@]}" -gt 0 ] || die "no test classes found"

log "running ${#classes[@]} classes (sample-backend log: $backend_log)"
# The runner's last line is the summary; nothing is printed after it.
IAV_READY_FILE="$ready" jvm -Djna.library.path="$TARGET_DIR/debug" "${DECLARED_VERSIONS_PROPS[@]}" \
    -cp "$out/tests.jar:$cp_compile:$KOTLIN_LIB/kotlin-stdlib.jar" \
    dev.iavbridge.tests.RunnerKt "${classes[@]}"
