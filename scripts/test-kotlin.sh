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
  5. shrinks the tests with the bindings, kotlin-stdlib, kotlinx-coroutines and JNA with
     ProGuard (Maven Central) and the AAR's consumer-rules.pro, as an app's release build does,
     prints the sizes, and runs the flow classes (FlowTest, ErrorsTest, TokenProviderTest,
     LoggingTest, AbortTest) on the shrunk jar;
  6. runs the JUnit 4 classes (*Test) on the jar as compiled; the last line counts both runs:
     "kotlin: N passed, N failed";
  7. stops the backend, whatever happened.
Exit status: 0 when every test passed, 1 otherwise.

Options:
  --only CLASSES  run only these test classes (simple names, comma-separated), e.g. FlowTest
  --no-compile    reuse the jar of the previous run (target/kotlin-tests/tests.jar)
  --no-shrunk     skip the run on the ProGuard-shrunk jar
  -h, --help      show this help

Environment: IAV_CACHE (toolchain cache, see scripts/toolchains.sh), CARGO_TARGET_DIR.
EOF
}

only=""
compile=1
shrunk=1
while [ "$#" -gt 0 ]; do
    case "$1" in
        --only) only="${2:?--only needs class names}"; shift 2 ;;
        --no-compile) compile=0; shift ;;
        --no-shrunk) shrunk=0; shift ;;
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
# Every test (or flow) signs in as the demo user alice, many at once: the per-user limits,
# made for one phone per user, are lifted.
start_service sample-backend "$ready" "$backend_log" \
    "$TARGET_DIR/debug/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready" \
    --user-max-requests 100000 --user-rate 100000 --user-burst 100000

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

# run_suite LABEL CLASSPATH CLASS...: the runner on CLASSPATH; its output also in $out/LABEL.out.
run_suite() {
    local label="$1" classpath="$2" rc
    shift 2
    IAV_READY_FILE="$ready" jvm -Djna.library.path="$TARGET_DIR/debug" "${DECLARED_VERSIONS_PROPS[@]}" \
        -cp "$classpath" dev.iavbridge.tests.RunnerKt "$@" | tee "$out/$label.out"
    rc=${PIPESTATUS[0]}
    return "$rc"
}

status=0
if [ "$shrunk" -eq 1 ]; then
    # The flow suites again, on what an app's release build makes of the library: the bindings,
    # the tests (the app's code) and what they run on (kotlin-stdlib, kotlinx-coroutines, JNA)
    # shrunk, optimized and obfuscated by ProGuard with the AAR's consumer-rules.pro and no rule
    # of the app's own but its entry points (the test classes, as a manifest names activities).
    log "shrinking with ProGuard $PROGUARD_VERSION and bindings/android/consumer-rules.pro"
    cat >"$out/proguard.pro" <<PRO
-injars $out/tests.jar
-injars $KOTLIN_LIB/kotlin-stdlib.jar(!META-INF/versions/**,!META-INF/*.kotlin_module)
-injars $KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar(!META-INF/versions/**,!META-INF/*.kotlin_module)
-injars $JNA_JAR(!META-INF/versions/**)
-outjars $out/shrunk.jar
-libraryjars <java.home>/jmods/java.base.jmod(!**.jar;!module-info.class)
-libraryjars <java.home>/jmods/java.logging.jmod(!**.jar;!module-info.class)
-libraryjars <java.home>/jmods/java.desktop.jmod(!**.jar;!module-info.class)
-libraryjars <java.home>/jmods/java.net.http.jmod(!**.jar;!module-info.class)
-libraryjars <java.home>/jmods/jdk.httpserver.jmod(!**.jar;!module-info.class)
-libraryjars <java.home>/jmods/java.management.jmod(!**.jar;!module-info.class)
-libraryjars $JUNIT_JAR
-libraryjars $HAMCREST_JAR
-include $REPO/bindings/android/consumer-rules.pro
# The app's entry points: the test classes and the runner, with what JUnit reads of them.
-keep class dev.iavbridge.tests.** { *; }
-keepattributes RuntimeVisibleAnnotations,AnnotationDefault
# ProGuard's specializing of parameter and return types and its class merging make bytecode
# that fails verification in kotlinx-coroutines (R8 does neither there); the rest of its
# optimizations run.
-optimizations !method/specialization/**,!class/merging/**
# kotlin-stdlib and kotlinx-coroutines name classes they do not ship (Android, old JDKs).
-dontwarn kotlin.**
-dontwarn kotlinx.**
-dontwarn org.jetbrains.annotations.**
-dontnote **
PRO
    if ! java -cp "$PROGUARD_CP" proguard.ProGuard @"$out/proguard.pro" >"$out/proguard.log" 2>&1; then
        tail -n 30 "$out/proguard.log" >&2
        echo "kotlin: 0 passed, 1 failed"
        die "ProGuard failed (log: $out/proguard.log)"
    fi
    size() { stat -L -c %s "$1"; }
    log "shrunk: $(size "$out/shrunk.jar") bytes from $(( $(size "$out/tests.jar") + $(size "$KOTLIN_LIB/kotlin-stdlib.jar") + $(size "$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar") + $(size "$JNA_JAR") )) (tests and bindings $(size "$out/tests.jar"), kotlin-stdlib, kotlinx-coroutines, JNA)"
    shrunk_classes=()
    for c in FlowTest ErrorsTest TokenProviderTest LoggingTest AbortTest; do
        shrunk_classes+=("dev.iavbridge.tests.$c")
    done
    log "running ${#shrunk_classes[@]} classes on the shrunk jar"
    run_suite shrunk "$out/shrunk.jar:$JUNIT_JAR:$HAMCREST_JAR" "${shrunk_classes[@]}" || status=1
fi

log "running ${#classes[@]} classes (sample-backend log: $backend_log)"
run_suite suite "$out/tests.jar:$cp_compile:$KOTLIN_LIB/kotlin-stdlib.jar" "${classes[@]}" || status=1

# The closing line counts both runs.
total_passed=0
total_failed=0
for f in "$out/shrunk.out" "$out/suite.out"; do
    [ "$shrunk" -eq 1 ] || [ "$f" != "$out/shrunk.out" ] || continue
    read -r p fl < <(read_counts "$f"; echo "0 1") || true
    total_passed=$((total_passed + ${p:-0}))
    total_failed=$((total_failed + ${fl:-1}))
done
echo "kotlin: $total_passed passed, $total_failed failed"
exit "$status"
