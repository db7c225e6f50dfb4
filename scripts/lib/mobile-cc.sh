# shellcheck shell=bash disable=SC2034 # MOBILE_CC_ENV is for the scripts sourcing this
# Debian's clang standing in for the C compilers of the Android NDK and of Xcode, so that ring's
# build script can compile its C and assembly for a mobile target during `cargo check` or
# `cargo clippy` on a Linux machine without either. Nothing is linked: this proves that the Rust
# code type-checks for the target, not that it runs. Used by scripts/check-mobile-targets.sh and
# the jni-entry step of scripts/check-packaging.sh. Source it after scripts/lib/common.sh.
#
# Needs Debian's clang, llvm (llvm-ar) and libc6-dev-arm64-cross (mobile_cc_packages lists the
# missing ones).

# Run instead of sourced (for example with --help): print the comment above, and stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi

# mobile_cc_packages: prints the Debian packages of the above that are missing, one per line.
mobile_cc_packages() {
    command -v clang >/dev/null 2>&1 || echo clang
    compgen -G '/usr/bin/llvm-ar*' >/dev/null || echo llvm
    [ -d /usr/aarch64-linux-gnu/include ] || echo libc6-dev-arm64-cross
}

# llvm_ar_path: llvm-ar on PATH, else the newest /usr/bin/llvm-ar-N; nothing when there is none.
llvm_ar_path() {
    command -v llvm-ar && return 0
    compgen -G '/usr/bin/llvm-ar-*' | sort -V | tail -n 1
}

# clang_include_dir: clang's resource include directory (for example
# /usr/lib/llvm-14/lib/clang/14.0.6/include); nothing when clang is missing.
clang_include_dir() {
    local d
    d="$(clang -print-resource-dir 2>/dev/null || true)"
    if [ -n "$d" ] && [ -d "$d/include" ]; then
        echo "$d/include"
        return
    fi
    compgen -G '/usr/lib/llvm-*/lib/clang/*/include' | sort -V | tail -n 1
}

# mobile_cc_env TRIPLE: sets MOBILE_CC_ENV to the VAR=VALUE assignments (for `env`) with which cc-rs
# compiles C for the Rust target TRIPLE (an Android or Apple iOS target) with Debian's clang; dies
# when clang or llvm-ar is missing.
#   Android: clang's NDK triple at API level 24 (the AAR's minSdk), glibc's aarch64 headers.
#   iOS:     a stand-in iPhoneOS SDK (scripts/lib/fake-iphoneos-sdk, copied under TARGET_DIR:
#            cc-rs would otherwise ask xcrun for the SDK) with the few headers ring's C includes.
mobile_cc_env() {
    local triple="$1" var="${1//-/_}" ar include
    ar="$(llvm_ar_path || true)"
    include="$(clang_include_dir || true)"
    if [ -z "$ar" ] || [ -z "$include" ] || ! command -v clang >/dev/null 2>&1; then
        die "clang and llvm-ar are needed to compile C for $triple (apt-get install clang llvm libc6-dev-arm64-cross)"
    fi
    case "$triple" in
        *-linux-android*)
            local clang_target="$triple"
            [ "$triple" = armv7-linux-androideabi ] && clang_target=armv7a-linux-androideabi
            MOBILE_CC_ENV=(
                "CC_${var}=clang"
                "AR_${var}=$ar"
                "CFLAGS_${var}=--target=${clang_target}24 -nostdlibinc -isystem $include -isystem /usr/aarch64-linux-gnu/include"
            )
            ;;
        *-apple-ios*)
            local sdk="$TARGET_DIR/fake-iphoneos-sdk"
            mkdir -p "$sdk"
            cp -R "$REPO/scripts/lib/fake-iphoneos-sdk/." "$sdk/"
            MOBILE_CC_ENV=(
                "SDKROOT=$sdk"
                "IPHONEOS_DEPLOYMENT_TARGET=15.0"
                "CC_${var}=clang"
                "AR_${var}=$ar"
                "CFLAGS_${var}=-nostdlibinc -isystem $include -isystem $sdk/usr/include"
            )
            ;;
        *) MOBILE_CC_ENV=() ;;
    esac
}
