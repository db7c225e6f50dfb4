#!/usr/bin/env bash
# The Swift package's tests on an iOS simulator (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/test-ios-simulator.sh [--help]

On a Mac with Xcode 26, after scripts/build-xcframework.sh: runs the Swift package's XCTest
target (bindings/swift/Tests/IAVBridgeTests, the IAVBridge product over the XCFramework's
simulator slice) with `xcodebuild test` on an iOS simulator: the newest available iPhone
simulator (IAV_SIMULATOR_NAME to choose one). .github/workflows/apple.yml runs it.

Environment:
  IAV_SIMULATOR_NAME  the simulator's name (default: the last iPhone `xcrun simctl list` shows)
USAGE
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) die_usage "unknown argument: $1" ;;
esac

[ "$(uname -s)" = "Darwin" ] || die "this script needs macOS with Xcode (xcodebuild, simctl)"
cd "$REPO"
[ -d target/xcframework/IAVBridgeFFI.xcframework ] || die "no target/xcframework/IAVBridgeFFI.xcframework: run scripts/build-xcframework.sh first"
name="${IAV_SIMULATOR_NAME:-$(xcrun simctl list devices available | sed -n 's/^ *\(iPhone[^(]*\) (.*/\1/p' | sed 's/ *$//' | tail -n1)}"
[ -n "$name" ] || die "no available iPhone simulator (xcrun simctl list devices available)"
# SwiftPM packages get a scheme per product, and NAME-Package with every target when there are several.
scheme="$(xcodebuild -list -json | python3 -c 'import json,sys; s=json.load(sys.stdin)["workspace"]["schemes"]; print(next((x for x in s if x.endswith("-Package")), "IAVBridge"))')"
log "xcodebuild test -scheme $scheme on the '$name' simulator"
xcodebuild test -scheme "$scheme" -destination "platform=iOS Simulator,name=$name" -skipPackagePluginValidation
