# shellcheck shell=bash disable=SC2034 # SWIFT_USE_BINDINGS is for the scripts sourcing this
# Compiling the generated Swift module against the host build of the core, for the Swift suite
# (scripts/test-swift.sh) and the Swift benchmark (scripts/bench-bindings.sh). Source it in the
# Swift environment (scripts/toolchains.sh swift-run, or a Mac), in the repository, after
# scripts/lib/common.sh.

# Run instead of sourced (for example with --help): print the comment above, and stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi

# swift_bindings_module OUT LIBDIR [SWIFTC_FLAG...]: compiles bindings/swift/Sources/IAVBridge (the
# generated module IAVBridge, in Swift 5 language mode) into OUT/libIAVBridge.{so,dylib} and
# OUT/IAVBridge.swiftmodule, linked against LIBDIR/libiav_bridge. Sets SWIFT_USE_BINDINGS to what a
# later swiftc needs to import IAVBridge and link it (the SWIFTC_FLAGs, the module map of
# IAVBridgeFFI, -I/-L/-l, rpaths to LIBDIR and OUT).
swift_bindings_module() {
    local out="$1" libdir="$2" ext
    shift 2
    case "$(uname -s)" in Darwin) ext=dylib ;; *) ext=so ;; esac
    # An absolute module map path: a relative one fails once the module is used from elsewhere.
    local link=("$@" -Xcc "-fmodule-map-file=$REPO/bindings/swift/Headers/IAVBridgeFFI/module.modulemap"
        -L "$libdir" -liav_bridge -Xlinker -rpath -Xlinker "$libdir" -Xlinker -rpath -Xlinker "$out")
    mkdir -p "$out"
    swiftc -swift-version 5 -module-name IAVBridge -parse-as-library -emit-library \
        -emit-module -emit-module-path "$out/IAVBridge.swiftmodule" "${link[@]}" \
        bindings/swift/Sources/IAVBridge/*.swift -o "$out/libIAVBridge.$ext"
    SWIFT_USE_BINDINGS=(-I "$out" -L "$out" -lIAVBridge "${link[@]}")
}
