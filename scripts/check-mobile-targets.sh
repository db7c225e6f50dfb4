#!/usr/bin/env bash
# Type-checks the core library for the mobile targets that cannot be linked on this machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/check-mobile-targets.sh [--help] [--no-install] [TARGET...]

Type-checks the iav-bridge core for mobile targets with `cargo check --lib`, so that
Android-only code (the JNI entry point under cfg(target_os = "android")) and iOS-only code
keep compiling on a machine without the Android NDK or Apple's SDK.

Default targets: aarch64-linux-android aarch64-apple-ios

Before checking it installs what is missing (skipped with --no-install):
  - the Rust targets, with `rustup target add`;
  - Debian's clang, llvm-ar-14 and libc6-dev-arm64-cross (apt-get, non-interactive), which stand
    in for the NDK's compiler so that ring's build script can compile its C and assembly for
    aarch64-linux-android. Nothing is linked: this proves the code type-checks, not that it runs.

Checks go to target/TRIPLE/ (the host build in target/debug/ is left as it is, and its
proc-macros and build scripts are reused).
Exit status: 0 when every target checks, 1 otherwise.
USAGE
}

install=1
targets=()
for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        --no-install) install=0 ;;
        -*) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
        *) targets+=("$arg") ;;
    esac
done
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(aarch64-linux-android aarch64-apple-ios)
fi

cd "$REPO"
source scripts/lib/mobile-cc.sh
# The workspace's target directory: the mobile targets' checks go to target/TRIPLE/, apart from
# the host build, and reuse the host's build of the proc-macros and build scripts.
export CARGO_TARGET_DIR="$TARGET_DIR"

needs_cc=0
for t in "${targets[@]}"; do
    case "$t" in *-linux-android* | *-apple-*) needs_cc=1 ;; esac
done

if [ "$install" -eq 1 ]; then
    ensure_rust_targets "${targets[@]}"
    if [ "$needs_cc" -eq 1 ]; then
        mapfile -t pkgs < <(mobile_cc_packages)
        [ "${#pkgs[@]}" -eq 0 ] || apt_install "${pkgs[@]}"
    fi
fi

failed=()
for t in "${targets[@]}"; do
    echo "== cargo check -p iav-bridge --lib --target $t"
    MOBILE_CC_ENV=()
    [ "$needs_cc" -eq 0 ] || mobile_cc_env "$t"
    if env "${MOBILE_CC_ENV[@]}" cargo check -p iav-bridge --lib --target "$t"; then
        echo "ok: $t"
    else
        echo "FAILED: $t" >&2
        failed+=("$t")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "mobile target check failed for: ${failed[*]}" >&2
    exit 1
fi
echo "mobile target check passed for: ${targets[*]}"
