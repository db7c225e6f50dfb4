#!/usr/bin/env bash
# Compiles the generated Swift bindings and the Swift suite and runs it against the host build of
# the core and a running sample-backend.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/test-swift.sh [TEST_NAME_OR_PREFIX...]

Runs the Swift suite (tests/swift) against the host build of the core:
  1. installs the Swift toolchain when missing (scripts/toolchains.sh install swift: a Debian
     trixie root with swiftlang, or the machine's own swift on a Mac);
  2. builds the core and the sample-backend (cargo, debug);
  3. starts target/debug/sample-backend on a loopback port (simulated Dwolla in-process);
  4. in the Swift environment (scripts/toolchains.sh swift-run, which always unmounts):
     - builds the generated module IAVBridge (bindings/swift) in Swift 5 language mode,
     - builds tests/swift/*.swift against it (an executable test suite),
     - builds tests/swift/swift6/AppUsage.swift in Swift 6 language mode against it,
     - runs the suite, which also runs the Swift 6 app as one test; its last line is
       "N passed, N failed";
  5. stops the backend, whatever happened.
Arguments select tests by name or prefix (e.g. `flow`, `errors.timeout`); none: all.
Exit status: 0 when every test passed, 1 otherwise.

Options:
  -h, --help  show this help

Environment: IAV_CACHE (toolchain cache, see scripts/toolchains.sh), CARGO_TARGET_DIR (must be
inside the repository for the Debian root, which sees only the repository).
EOF
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Stage run inside the Swift environment (cwd = repository, IAV_REPO = its path there).
if [ "${1:-}" = "--inside" ]; then
    shift
    repo="$IAV_REPO"
    target_rel="${IAV_TARGET_REL:-target}"
    out="$repo/$target_rel/swift-tests"
    libdir="$repo/$target_rel/debug"
    modulemap="$repo/bindings/swift/Headers/IAVBridgeFFI/module.modulemap"
    case "$(uname -s)" in Darwin) ext=dylib ;; *) ext=so ;; esac
    mkdir -p "$out"
    common=(-Xcc "-fmodule-map-file=$modulemap" -L "$libdir" -liav_bridge
        -Xlinker -rpath -Xlinker "$libdir" -Xlinker -rpath -Xlinker "$out")
    echo "test-swift: $(swiftc --version 2>&1 | head -n1)" >&2
    start=$(date +%s)
    swiftc -swift-version 5 -module-name IAVBridge -parse-as-library -emit-library \
        -emit-module -emit-module-path "$out/IAVBridge.swiftmodule" "${common[@]}" \
        bindings/swift/Sources/IAVBridge/*.swift -o "$out/libIAVBridge.$ext"
    swiftc -swift-version 5 -module-name IAVBridgeTests -I "$out" -L "$out" -lIAVBridge "${common[@]}" \
        tests/swift/*.swift -o "$out/swift-tests"
    swiftc -swift-version 6 -parse-as-library -module-name IAVBridgeSwift6App -I "$out" -L "$out" -lIAVBridge "${common[@]}" \
        tests/swift/swift6/AppUsage.swift -o "$out/swift6-app"
    echo "test-swift: compiled in $(($(date +%s) - start)) s" >&2
    IAV_SWIFT6_APP="$out/swift6-app" IAV_READY_FILE="$repo/$IAV_READY_REL" exec "$out/swift-tests" "$@"
fi

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
TARGET_DIR="$(mkdir -p "$TARGET_DIR" && cd "$TARGET_DIR" && pwd)"
case "$TARGET_DIR/" in
    "$REPO"/*) target_rel="${TARGET_DIR#"$REPO"/}" ;;
    *) echo "test-swift: CARGO_TARGET_DIR must be inside the repository ($REPO)" >&2; exit 2 ;;
esac

scripts/toolchains.sh install swift

echo "test-swift: building the core and the sample-backend" >&2
cargo build -q -p iav-bridge --lib
cargo build -q -p sample-backend --bin sample-backend

state="$TARGET_DIR/swift-tests"
mkdir -p "$state"
ready="$state/ready.json"
backend_log="$state/backend.log"
rm -f "$ready"
backend_pid=""
cleanup() {
    if [ -n "$backend_pid" ] && kill -0 "$backend_pid" 2>/dev/null; then
        kill "$backend_pid" 2>/dev/null || true
        wait "$backend_pid" 2>/dev/null || true
    fi
    rm -f "$ready"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$TARGET_DIR/debug/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready" >"$backend_log" 2>&1 &
backend_pid=$!
for _ in $(seq 1 300); do
    [ -s "$ready" ] && break
    kill -0 "$backend_pid" 2>/dev/null || { tail -n 30 "$backend_log" >&2; echo "test-swift: sample-backend exited" >&2; exit 1; }
    sleep 0.1
done
[ -s "$ready" ] || { echo "test-swift: sample-backend did not become ready in 30 s" >&2; exit 1; }
sleep 0.1

echo "test-swift: running the suite (sample-backend log: $backend_log)" >&2
# The suite's last line is the summary; nothing is printed after it.
IAV_TARGET_REL="$target_rel" IAV_READY_REL="$target_rel/swift-tests/ready.json" IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" \
    scripts/toolchains.sh swift-run -- scripts/test-swift.sh --inside "$@"
