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

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Stage run inside the Swift environment.
if [ "${1:-}" = "--swift-inside" ]; then
    repo="$IAV_REPO"
    out="$repo/$IAV_TARGET_REL/swift-bench"
    libdir="$repo/$IAV_TARGET_REL/$IAV_PROFILE"
    modulemap="$repo/bindings/swift/Headers/IAVBridgeFFI/module.modulemap"
    case "$(uname -s)" in Darwin) ext=dylib ;; *) ext=so ;; esac
    mkdir -p "$out"
    common=(-O -Xcc "-fmodule-map-file=$modulemap" -L "$libdir" -liav_bridge
        -Xlinker -rpath -Xlinker "$libdir" -Xlinker -rpath -Xlinker "$out")
    swiftc -swift-version 5 -module-name IAVBridge -parse-as-library -emit-library \
        -emit-module -emit-module-path "$out/IAVBridge.swiftmodule" "${common[@]}" \
        bindings/swift/Sources/IAVBridge/*.swift -o "$out/libIAVBridge.$ext"
    swiftc -swift-version 5 -module-name IAVBridgeBench -I "$out" -L "$out" -lIAVBridge "${common[@]}" \
        tests/swift/Support.swift benches/swift/main.swift -o "$out/swift-bench"
    LD_LIBRARY_PATH="$libdir:${LD_LIBRARY_PATH:-}" IAV_READY_FILE="$repo/$IAV_READY_REL" exec "$out/swift-bench" "$IAV_FLOWS"
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
[[ "$flows" =~ ^[0-9]+$ ]] && [ "$flows" -gt 0 ] || { echo "bench-bindings: --flows needs a positive number" >&2; exit 2; }

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
TARGET_DIR="$(mkdir -p "$TARGET_DIR" && cd "$TARGET_DIR" && pwd)"
target_rel="${TARGET_DIR#"$REPO"/}"

[ "$run_kotlin" -eq 1 ] && scripts/toolchains.sh install kotlin
if [ "$run_swift" -eq 1 ]; then
    [ "$target_rel" != "$TARGET_DIR" ] || { echo "bench-bindings: CARGO_TARGET_DIR must be inside the repository for Swift" >&2; exit 2; }
    scripts/toolchains.sh install swift
fi

cargo_profile=()
[ "$profile" = release ] && cargo_profile=(--release)
echo "bench-bindings: building the core and the sample-backend ($profile)" >&2
cargo build -q "${cargo_profile[@]}" -p iav-bridge --lib
cargo build -q "${cargo_profile[@]}" -p sample-backend --bin sample-backend

state="$TARGET_DIR/bindings-bench"
mkdir -p "$state"
ready="$state/ready.json"
rm -f "$ready"
backend_pid=""
cleanup() {
    if [ -n "$backend_pid" ] && kill -0 "$backend_pid" 2>/dev/null; then
        kill "$backend_pid" 2>/dev/null || true
        wait "$backend_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RUST_LOG=warn "$TARGET_DIR/$profile/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready" >"$state/backend.log" 2>&1 &
backend_pid=$!
for _ in $(seq 1 300); do
    [ -s "$ready" ] && break
    kill -0 "$backend_pid" 2>/dev/null || { tail -n 30 "$state/backend.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$ready" ] || { echo "bench-bindings: sample-backend did not become ready" >&2; exit 1; }
sleep 0.1
echo "bench-bindings: machine: $(nproc) cores, $(uname -sm); core and backend: $profile builds" >&2

if [ "$run_kotlin" -eq 1 ]; then
    eval "$(scripts/toolchains.sh kotlin-env)"
    out="$TARGET_DIR/kotlin-bench"
    mkdir -p "$out"
    cp_run="$JNA_JAR:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar"
    echo "bench-bindings: compiling the Kotlin benchmark" >&2
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$cp_run" \
        bindings/kotlin/dev/iavbridge/*.kt tests/kotlin/Support.kt benches/kotlin/*.kt -d "$out/bench.jar"
    IAV_READY_FILE="$ready" java -Djna.library.path="$TARGET_DIR/$profile" \
        -cp "$out/bench.jar:$cp_run:$KOTLIN_LIB/kotlin-stdlib.jar" dev.iavbridge.bench.BenchKt "$flows"
fi

if [ "$run_swift" -eq 1 ]; then
    IAV_TARGET_REL="$target_rel" IAV_PROFILE="$profile" IAV_FLOWS="$flows" \
        IAV_READY_REL="$target_rel/bindings-bench/ready.json" IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" \
        scripts/toolchains.sh swift-run -- scripts/bench-bindings.sh --swift-inside
fi
