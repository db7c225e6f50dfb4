#!/usr/bin/env bash
# ios-sample built for the iOS simulator (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/build-ios-sample.sh [--help]

On a Mac with Xcode 26 and XcodeGen (installed with Homebrew when missing), after
scripts/build-xcframework.sh: generates ios-sample/IAVBridgeSample.xcodeproj from project.yml
(`xcodegen generate`) and builds the app for the iOS simulator with `xcodebuild build`, without
code signing (Swift 6 mode, the IAVBridge package from the repository, LinkKit from its package
URL). .github/workflows/apple.yml runs it.
USAGE
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) die_usage "unknown argument: $1" ;;
esac

[ "$(uname -s)" = "Darwin" ] || die "this script needs macOS with Xcode (xcodebuild)"
cd "$REPO"
[ -d target/xcframework/IAVBridgeFFI.xcframework ] || die "no target/xcframework/IAVBridgeFFI.xcframework: run scripts/build-xcframework.sh first"
command -v xcodegen >/dev/null || brew install xcodegen
(cd ios-sample && xcodegen generate)
xcodebuild build -project ios-sample/IAVBridgeSample.xcodeproj -scheme IAVBridgeSample \
    -destination 'generic/platform=iOS Simulator' CODE_SIGNING_ALLOWED=NO -skipPackagePluginValidation
