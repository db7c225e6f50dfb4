#!/usr/bin/env bash
# Compiles the generated Swift bindings and the Swift suite and runs it against the host build of
# the core and a running sample-backend.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/test-swift.sh [TEST_NAME_OR_PREFIX...]

Runs the Swift suite (tests/swift) against the host build of the core:
  1. installs the Swift toolchain when missing (scripts/toolchains.sh install swift: a Debian
     sid root with swiftlang 6.2.3, or the machine's own swift on a Mac);
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

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"

# Stage run inside the Swift environment (cwd = repository, IAV_REPO = its path there).
if [ "${1:-}" = "--inside" ]; then
    shift
    source scripts/lib/swift-module.sh
    target_rel="${IAV_TARGET_REL:-target}"
    out="$REPO/$target_rel/swift-tests"
    # The compiler this run is made of, on stdout with the suite's results.
    echo "$(swiftc --version 2>&1 | head -n1)"
    start=$SECONDS
    swift_bindings_module "$out" "$REPO/$target_rel/debug"
    swiftc -swift-version 5 -module-name IAVBridgeTests "${SWIFT_USE_BINDINGS[@]}" \
        tests/swift/*.swift -o "$out/swift-tests"
    swiftc -swift-version 6 -parse-as-library -module-name IAVBridgeSwift6App "${SWIFT_USE_BINDINGS[@]}" \
        tests/swift/swift6/AppUsage.swift -o "$out/swift6-app"
    log "compiled in $((SECONDS - start)) s"
    IAV_SWIFT6_APP="$out/swift6-app" IAV_READY_FILE="$REPO/$IAV_READY_REL" exec "$out/swift-tests" "$@"
fi

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

target_dir_in_repo || die_usage "CARGO_TARGET_DIR must be inside the repository ($REPO)"

bash scripts/toolchains.sh install swift

log "building the core and the sample-backend"
build_host debug core backend

# The backend writes the ready file once it listens; it is stopped when this script exits.
state="$TARGET_DIR/swift-tests"
ready="$state/ready.json"
backend_log="$state/backend.log"
on_exit rm -f "$ready"
# Every test (or flow) signs in as the demo user alice, many at once: the per-user limits,
# made for one phone per user, are lifted.
start_service sample-backend "$ready" "$backend_log" \
    "$TARGET_DIR/debug/sample-backend" --listen 127.0.0.1:0 --ready-file "$ready" \
    --user-max-requests 100000 --user-rate 100000 --user-burst 100000

log "running the suite (sample-backend log: $backend_log)"
# The suite's last line is the summary; nothing is printed after it.
IAV_TARGET_REL="$TARGET_REL" IAV_READY_REL="$TARGET_REL/swift-tests/ready.json" IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" \
    bash scripts/toolchains.sh swift-run -- scripts/test-swift.sh --inside "$@"
