#!/usr/bin/env bash
# Benchmarks the Kotlin and Swift bindings against plain Kotlin / plain Swift HTTP clients.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/bench-bindings.sh [--flows N] [--kotlin-only | --swift-only] [--debug]

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

Options:
  --flows N       flows per side (default 2000)
  --kotlin-only   run only the Kotlin benchmarks
  --swift-only    run only the Swift benchmarks
  --debug         use debug builds of the core and the backend (faster to build, slower to run)
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
while [ "$#" -gt 0 ]; do
    case "$1" in
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
if [ "$run_kotlin" -eq 1 ]; then kotlin_toolchain; fi
if [ "$run_swift" -eq 1 ]; then
    [ -n "$TARGET_REL" ] || die_usage "CARGO_TARGET_DIR must be inside the repository for Swift"
    bash scripts/toolchains.sh install swift
fi

log "building the core and the sample-backend ($profile)"
build_host "$profile" core backend

# The backend writes the ready file once it listens; it is stopped when this script exits.
state="$TARGET_DIR/bindings-bench"
ready="$state/ready.json"
start_service sample-backend "$ready" "$state/backend.log" \
    env RUST_LOG=warn "$TARGET_DIR/$profile/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready"
log "machine: $(nproc) cores, $(uname -sm); core and backend: $profile builds"

if [ "$run_kotlin" -eq 1 ]; then
    out="$TARGET_DIR/kotlin-bench"
    mkdir -p "$out"
    log "compiling the Kotlin benchmark"
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_BINDINGS_CP" \
        bindings/kotlin/dev/iavbridge/*.kt tests/kotlin/Support.kt benches/kotlin/*.kt -d "$out/bench.jar"
    IAV_READY_FILE="$ready" java -Djna.library.path="$TARGET_DIR/$profile" \
        -cp "$out/bench.jar:$KOTLIN_BINDINGS_CP:$KOTLIN_LIB/kotlin-stdlib.jar" dev.iavbridge.bench.BenchKt "$flows"
fi

if [ "$run_swift" -eq 1 ]; then
    IAV_TARGET_REL="$TARGET_REL" IAV_PROFILE="$profile" IAV_FLOWS="$flows" \
        IAV_READY_REL="$TARGET_REL/bindings-bench/ready.json" IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" \
        bash scripts/toolchains.sh swift-run -- scripts/bench-bindings.sh --swift-inside
fi
