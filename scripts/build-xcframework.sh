#!/usr/bin/env bash
# Builds IAVBridgeFFI.xcframework (iOS, iOS Simulator, macOS), zips it and prints its SwiftPM checksum.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/build-xcframework.sh [--set-release-url URL] [--help]

On a Mac with Xcode (16.1+) and rustup:

  1. adds the Rust targets if missing: aarch64-apple-ios, aarch64-apple-ios-sim, x86_64-apple-ios,
     aarch64-apple-darwin, x86_64-apple-darwin;
  2. builds the core's static library (release profile) for each, with
     IPHONEOS_DEPLOYMENT_TARGET=15.0 and MACOSX_DEPLOYMENT_TARGET=12.0 (the package's minimums);
  3. lipo's the simulator slices (arm64 + x86_64) and the macOS slices (arm64 + x86_64);
  4. generates the Swift bindings if missing (scripts/generate-bindings.sh), and puts the C header
     and module map under Headers/IAVBridgeFFI/ in each slice;
  5. checks that no slice references an API unavailable to app extensions (UIApplication's
     sharedApplication), so the framework links into extensions too;
  6. runs xcodebuild -create-xcframework -> target/xcframework/IAVBridgeFFI.xcframework (the path
     Package.swift uses in development), zips it to target/xcframework/IAVBridgeFFI.xcframework.zip and prints
     the checksum from `swift package compute-checksum`, plus the size of each slice.

--set-release-url URL   after building, switch Package.swift to the release binary:
                        `.release(url: URL, checksum: <the zip's checksum>)`. Upload the zip to URL.
USAGE
}

release_url=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --set-release-url) release_url="${2:?--set-release-url needs a URL}"; shift 2 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

[ "$(uname -s)" = "Darwin" ] || die "this script needs macOS with Xcode (xcodebuild, lipo)"
command -v xcodebuild >/dev/null 2>&1 || die "xcodebuild not found: install Xcode and run xcode-select"

cd "$REPO"
out="$REPO/target/xcframework"
work="$out/xcframework-work"
xcframework="$out/IAVBridgeFFI.xcframework"
zip="$out/IAVBridgeFFI.xcframework.zip"
lib=libiav_bridge.a

export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)

echo "== Rust targets"
ensure_rust_targets "${targets[@]}"

for t in "${targets[@]}"; do
    echo "== cargo rustc --release --crate-type staticlib --target $t"
    # The static library alone, so fat LTO applies to it (see scripts/build-android.sh).
    cargo rustc --release -p iav-bridge --lib --crate-type staticlib --target "$t"
done

if [ ! -f bindings/swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h ]; then
    echo "== generating the Swift bindings"
    bash scripts/generate-bindings.sh
fi

rm -rf "$work" "$xcframework" "$zip"
mkdir -p "$work/ios" "$work/ios-simulator" "$work/macos" "$work/Headers/IAVBridgeFFI"
cp bindings/swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h bindings/swift/Headers/IAVBridgeFFI/module.modulemap \
    "$work/Headers/IAVBridgeFFI/"

echo "== lipo"
cp "target/aarch64-apple-ios/release/$lib" "$work/ios/$lib"
lipo -create "target/aarch64-apple-ios-sim/release/$lib" "target/x86_64-apple-ios/release/$lib" \
    -output "$work/ios-simulator/$lib"
lipo -create "target/aarch64-apple-darwin/release/$lib" "target/x86_64-apple-darwin/release/$lib" \
    -output "$work/macos/$lib"

echo "== app extension safety"
for slice in ios ios-simulator; do
    if nm -u "$work/$slice/$lib" 2>/dev/null | grep -q 'sharedApplication\|_OBJC_CLASS_\$_UIApplication$'; then
        die "$slice/$lib references UIApplication, which app extensions may not use"
    fi
done

echo "== xcodebuild -create-xcframework"
xcodebuild -create-xcframework \
    -library "$work/ios/$lib" -headers "$work/Headers" \
    -library "$work/ios-simulator/$lib" -headers "$work/Headers" \
    -library "$work/macos/$lib" -headers "$work/Headers" \
    -output "$xcframework"

(cd "$out" && ditto -c -k --sequesterRsrc --keepParent IAVBridgeFFI.xcframework IAVBridgeFFI.xcframework.zip)
checksum="$(swift package compute-checksum "$zip")"

echo "== sizes"
for slice in ios ios-simulator macos; do
    printf '  %-14s %10d bytes (%s)\n' "$slice" "$(stat -f %z "$work/$slice/$lib")" "$(lipo -archs "$work/$slice/$lib")"
done
printf '  %-14s %10d bytes\n' "zip" "$(stat -f %z "$zip")"
echo "== XCFramework: $xcframework"
echo "== zip:         $zip"
echo "== SwiftPM checksum: $checksum"

if [ -n "$release_url" ]; then
    sed -i '' -E "s|^let binarySource: BinarySource = .*$|let binarySource: BinarySource = .release(url: \"$release_url\", checksum: \"$checksum\")|" Package.swift
    grep -q "checksum: \"$checksum\"" Package.swift || die "could not update Package.swift"
    echo "== Package.swift now uses $release_url (checksum $checksum)"
fi
