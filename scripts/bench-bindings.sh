#!/usr/bin/env bash
# Benchmarks the Kotlin and Swift bindings against plain Kotlin / plain Swift HTTP clients.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/bench-bindings.sh [--flows N] [--kotlin-only | --swift-only] [--debug]
       scripts/bench-bindings.sh --startup [--samples N]
       scripts/bench-bindings.sh --jmh [--debug]

Benchmarks the bindings against the host build of the core and a running sample-backend
(simulated Dwolla on loopback). Prints numbers; asserts no timing.
  Kotlin (benches/kotlin): BridgeClient.startPlaidLink vs the same two requests in plain Kotlin
    with java.net.http.HttpClient (GET exchange-partners once, cached like the bridge caches it;
    POST customers/me/exchange-sessions with the redirect value; link token read from the 201
    body), median and p99 over N flows each, alternating sides in one run; then one sync call
    (validateAndroidPackageName) through the bridge vs the same rule in plain Kotlin.
  Swift (benches/swift): the same flow vs URLSession + JSONDecoder; the validator per call.
Installs the toolchains when missing (scripts/toolchains.sh), builds the core and the
sample-backend (release by default), starts the backend, runs, and always stops it.

--startup runs only the start-up benchmark (benches/kotlin/startup): the library as it ships
(release cdylib built alone, stripped) and the Android layer on the JVM under Robolectric (the real
framework of the AAR's compileSdk; the sandbox is made before the clock starts), one fresh JVM per
sample; IAV_STARTUP_VARIANT=blocking measures the blocking createClient instead.
A "main thread" asks for a client with the suspend IavBridgeAndroid.loadClient; printed, as
medians over the samples, in one line:
  kotlin start-up: caller blocked X ms; first use Y ms (JNA A ms, library load B ms, bindings C ms)
X: the time the calling thread spends in the call; Y: from the call until the client is in the
caller's hands; A: JNA's own initialization; B: System.loadLibrary of libiav_bridge; C: the rest
(uniffi's registration of the native functions, the client's construction, the dispatch back).
Each sample's figures, with the registration and the client apart, go to stderr first.

--jmh runs only the JMH microbenchmark of the Kotlin crossing cost (benches/kotlin/jmh/Crossings.kt;
JMH from Maven Central, installed into the cache on first use; the release library; a
sample-backend for the client's one partner-list fetch, made before timing): a raw JNA
direct-mapped call of the library next to a sync call, an async call, a record round trip and
one Plaid flow's worth of crossings, in one JVM fork. Prints JMH's table (ns/op) and the token
provider's calls during the timed runs (0: no request was made). About 1 minute.

Options:
  --flows N       flows per side (default 2000)
  --kotlin-only   run only the Kotlin benchmarks
  --swift-only    run only the Swift benchmarks
  --debug         use debug builds of the core and the backend (faster to build, slower to run)
  --startup       run only the start-up benchmark
  --jmh           run only the JMH crossing benchmark
  --samples N     fresh JVMs for --startup (default 15)
  -h, --help      show this help
EOF
}

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"

# Stage run inside the Swift environment.
if [ "${1:-}" = "--swift-inside" ]; then
    source scripts/lib/swift-module.sh
    out="$REPO/$IAV_TARGET_REL/swift-bench"
    libdir="$REPO/$IAV_TARGET_REL/$IAV_PROFILE"
    swift_bindings_module "$out" "$libdir" -O
    swiftc -swift-version 5 -module-name IAVBridgeBench "${SWIFT_USE_BINDINGS[@]}" \
        tests/swift/Support.swift benches/swift/main.swift -o "$out/swift-bench"
    LD_LIBRARY_PATH="$libdir:${LD_LIBRARY_PATH:-}" IAV_READY_FILE="$REPO/$IAV_READY_REL" exec "$out/swift-bench" "$IAV_FLOWS"
fi

flows=2000
run_kotlin=1
run_swift=1
profile=release
startup=0
jmh=0
samples=15
while [ "$#" -gt 0 ]; do
    case "$1" in
        --startup) startup=1; shift ;;
        --jmh) jmh=1; shift ;;
        --samples) samples="${2:?--samples needs a number}"; shift 2 ;;
        --flows) flows="${2:?--flows needs a number}"; shift 2 ;;
        --kotlin-only) run_swift=0; shift ;;
        --swift-only) run_kotlin=0; shift ;;
        --debug) profile=debug; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
if ! [[ "$flows" =~ ^[0-9]+$ ]] || [ "$flows" -eq 0 ]; then die_usage "--flows needs a positive number"; fi

target_dir_in_repo || true

# The start-up benchmark: fresh JVMs against the library as it ships; no backend needed.
if [ "$startup" -eq 1 ]; then
    if ! [[ "$samples" =~ ^[0-9]+$ ]] || [ "$samples" -eq 0 ]; then die_usage "--samples needs a positive number"; fi
    kotlin_toolchain
    out="$TARGET_DIR/kotlin-startup"
    mkdir -p "$out/lib"
    log "building libiav_bridge as it ships (release cdylib, built alone so that fat LTO applies)"
    cargo rustc -q --release -p iav-bridge --lib --crate-type cdylib
    cp "$TARGET_DIR/release/libiav_bridge.so" "$out/lib/libiav_bridge.so"
    log "compiling the start-up benchmark (bindings, the AAR's Kotlin layer, on Robolectric's android-all for SDK $COMPILE_SDK)"
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$ANDROID_JAR:$KOTLIN_BINDINGS_CP:$JUNIT_JAR:$ROBOLECTRIC_CP" \
        bindings/kotlin/dev/iavbridge/*.kt bindings/android/src/main/kotlin \
        benches/kotlin/startup/Startup.kt -d "$out/startup.jar"
    log "$samples fresh JVMs ($(nproc) cores, $(uname -sm); Kotlin $KOTLIN_VERSION, kotlinx-coroutines $COROUTINES_VERSION, JNA $JNA_VERSION from Maven Central)"
    : >"$out/samples.txt"
    for _ in $(seq 1 "$samples"); do
        # shellcheck disable=SC2086
    "$ROBOLECTRIC_JAVA" $ROBOLECTRIC_JAVA_OPTS -Djna.nosys=true -Djna.library.path="$out/lib" -Djava.library.path="$out/lib" \
                -Diavbridge.startup.variant="${IAV_STARTUP_VARIANT:-suspend}" \
            -cp "$out/startup.jar:$KOTLIN_BINDINGS_CP:$JUNIT_JAR:$HAMCREST_JAR:$ROBOLECTRIC_CP:$KOTLIN_LIB/kotlin-stdlib.jar:$ANDROID_JAR" \
            org.junit.runner.JUnitCore dev.iavbridge.bench.StartupSample | grep -o 'startup-sample .*' \
            | tee -a "$out/samples.txt" >&2
    done
    # Medians of each figure over the samples.
    median() {
        sed -n "s/.* $1_ms=\([0-9.]*\).*/\1/p" "$out/samples.txt" | sort -n \
            | awk '{v[NR] = $1} END {if (NR == 0) exit 1; m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m}'
    }
    printf 'kotlin start-up medians of %d JVMs: setup (IavBridgeAndroid class + config, main thread) %.2f ms; bindings = registration %.1f ms + client %.1f ms\n' \
        "$samples" "$(median setup)" "$(median register)" "$(median client)" >&2
    printf 'kotlin start-up: caller blocked %.2f ms; first use %.1f ms (JNA %.1f ms, library load %.1f ms, bindings %.1f ms)\n' \
        "$(median blocked)" "$(median first_use)" "$(median jna)" "$(median load)" "$(median bindings)"
    exit 0
fi
if [ "$jmh" -eq 1 ]; then
    run_swift=0
    kotlin_toolchain
    bash scripts/toolchains.sh install jmh
    eval "$(bash scripts/toolchains.sh kotlin-env)"
    [ -n "${JMH_CP:-}" ] || die "JMH is not installed (scripts/toolchains.sh install jmh)"
fi
if [ "$run_kotlin" -eq 1 ] && [ "$jmh" -eq 0 ]; then kotlin_toolchain; fi
if [ "$run_swift" -eq 1 ]; then
    [ -n "$TARGET_REL" ] || die_usage "CARGO_TARGET_DIR must be inside the repository for Swift"
    bash scripts/toolchains.sh install swift
fi

log "building the core and the sample-backend ($profile)"
build_host "$profile" core backend

# The backend writes the ready file once it listens; it is stopped when this script exits.
state="$TARGET_DIR/bindings-bench"
ready="$state/ready.json"
# Every test (or flow) signs in as the demo user alice, many at once: the per-user limits,
# made for one phone per user, are lifted.
start_service sample-backend "$ready" "$state/backend.log" \
    env RUST_LOG=warn "$TARGET_DIR/$profile/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready" \
    --user-max-requests 100000 --user-rate 100000 --user-burst 100000
log "machine: $(nproc) cores, $(uname -sm); core and backend: $profile builds"

if [ "$jmh" -eq 1 ]; then
    out="$TARGET_DIR/kotlin-jmh"
    rm -rf "$out"
    mkdir -p "$out/classes" "$out/generated-sources" "$out/generated-resources"
    log "compiling the JMH benchmark (Kotlin $KOTLIN_VERSION, JMH $JMH_VERSION)"
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_BINDINGS_CP:$JMH_CP" \
        bindings/kotlin/dev/iavbridge/*.kt tests/kotlin/Support.kt benches/kotlin/jmh/Crossings.kt -d "$out/classes"
    # kotlinc runs no annotation processor: JMH's bytecode generator reads the compiled classes.
    java -cp "$JMH_CP:$out/classes:$KOTLIN_BINDINGS_CP:$KOTLIN_LIB/kotlin-stdlib.jar" \
        org.openjdk.jmh.generators.bytecode.JmhBytecodeGenerator \
        "$out/classes" "$out/generated-sources" "$out/generated-resources" reflection
    find "$out/generated-sources" -name '*.java' >"$out/sources.txt"
    javac -nowarn -d "$out/classes" -cp "$JMH_CP:$out/classes:$KOTLIN_LIB/kotlin-stdlib.jar" @"$out/sources.txt"
    cp -r "$out/generated-resources/." "$out/classes/"
    log "JMH on $(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = /Java /p'); JNA $JNA_VERSION, kotlinx-coroutines $COROUTINES_VERSION, the $profile library"
    IAV_READY_FILE="$ready" jvm -Djna.library.path="$TARGET_DIR/$profile" \
        -cp "$out/classes:$JMH_CP:$KOTLIN_BINDINGS_CP:$KOTLIN_LIB/kotlin-stdlib.jar" \
        org.openjdk.jmh.Main -foe true 'dev.iavbridge.bench.jmh.Crossings'
    exit 0
fi

if [ "$run_kotlin" -eq 1 ]; then
    out="$TARGET_DIR/kotlin-bench"
    mkdir -p "$out"
    log "compiling the Kotlin benchmark"
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_BINDINGS_CP" \
        bindings/kotlin/dev/iavbridge/*.kt tests/kotlin/Support.kt benches/kotlin/*.kt -d "$out/bench.jar"
    IAV_READY_FILE="$ready" jvm -Djna.library.path="$TARGET_DIR/$profile" \
        -cp "$out/bench.jar:$KOTLIN_BINDINGS_CP:$KOTLIN_LIB/kotlin-stdlib.jar" dev.iavbridge.bench.BenchKt "$flows"
fi

if [ "$run_swift" -eq 1 ]; then
    IAV_TARGET_REL="$TARGET_REL" IAV_PROFILE="$profile" IAV_FLOWS="$flows" \
        IAV_READY_REL="$TARGET_REL/bindings-bench/ready.json" IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" \
        bash scripts/toolchains.sh swift-run -- scripts/bench-bindings.sh --swift-inside
fi
