#!/usr/bin/env bash
# Type-checks the core library for the mobile targets that cannot be linked on this machine.
set -euo pipefail

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

Builds go to target/mobile-check so the host build in target/ is not invalidated.
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

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

needs_android=0
for t in "${targets[@]}"; do
    case "$t" in *-linux-android*|*-apple-*) needs_android=1 ;; esac
done

clang_version_dir() {
    # Prints the resource include dir of Debian's clang (e.g. /usr/lib/llvm-14/lib/clang/14.0.6/include).
    local d
    d="$(clang -print-resource-dir 2>/dev/null || true)"
    if [ -n "$d" ] && [ -d "$d/include" ]; then
        echo "$d/include"
        return
    fi
    ls -d /usr/lib/llvm-*/lib/clang/*/include 2>/dev/null | sort -V | tail -n 1
}

if [ "$install" -eq 1 ]; then
    installed="$(rustup target list --installed)"
    missing=()
    for t in "${targets[@]}"; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "== rustup target add ${missing[*]}"
        rustup target add "${missing[@]}"
    fi

    if [ "$needs_android" -eq 1 ]; then
        pkgs=()
        command -v clang >/dev/null 2>&1 || pkgs+=(clang)
        ls /usr/bin/llvm-ar* >/dev/null 2>&1 || pkgs+=(llvm)
        [ -d /usr/aarch64-linux-gnu/include ] || pkgs+=(libc6-dev-arm64-cross)
        if [ "${#pkgs[@]}" -gt 0 ]; then
            echo "== apt-get install ${pkgs[*]}"
            export DEBIAN_FRONTEND=noninteractive
            if ! apt-get install -y --no-install-recommends "${pkgs[@]}"; then
                apt-get update
                apt-get install -y --no-install-recommends "${pkgs[@]}"
            fi
        fi
    fi
fi

if [ "$needs_android" -eq 1 ]; then
    llvm_ar="$(command -v llvm-ar || ls /usr/bin/llvm-ar-* 2>/dev/null | sort -V | tail -n 1 || true)"
    clang_include="$(clang_version_dir)"
    if [ -z "$llvm_ar" ] || [ -z "$clang_include" ] || ! command -v clang >/dev/null 2>&1; then
        echo "error: clang and llvm-ar are needed to check Android targets (run without --no-install)" >&2
        exit 1
    fi
fi

export CARGO_TARGET_DIR="$repo_root/target/mobile-check"
failed=()
for t in "${targets[@]}"; do
    echo "== cargo check -p iav-bridge --lib --target $t"
    env_args=()
    case "$t" in
        *-linux-android*)
            # NDK triples carry the API level in the clang target (minSdk 24).
            var="${t//-/_}"
            clang_target="$t"
            [ "$t" = "armv7-linux-androideabi" ] && clang_target="armv7a-linux-androideabi"
            sysroot_inc=/usr/aarch64-linux-gnu/include
            env_args=(
                "CC_${var}=clang"
                "AR_${var}=$llvm_ar"
                "CFLAGS_${var}=--target=${clang_target}24 -nostdlibinc -isystem $clang_include -isystem $sysroot_inc"
            )
            ;;
        *-apple-ios*)
            # No Xcode here: cc-rs would ask xcrun for the iPhoneOS SDK. An empty SDKROOT stands in
            # for it, and Debian's clang with glibc's aarch64 headers compiles ring's C for the
            # type-check (the objects are never linked).
            var="${t//-/_}"
            fake_sdk="$CARGO_TARGET_DIR/fake-iphoneos-sdk"
            mkdir -p "$fake_sdk/usr/include"
            # The one Apple header ring's C includes, with the values of an iOS device build.
            cat >"$fake_sdk/usr/include/TargetConditionals.h" <<'HEADER'
#ifndef IAV_BRIDGE_FAKE_TARGET_CONDITIONALS_H
#define IAV_BRIDGE_FAKE_TARGET_CONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#define TARGET_OS_OSX 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_VISION 0
#define TARGET_OS_MACCATALYST 0
#endif
HEADER
            # Minimal C library declarations for ring's C (Linux's glibc headers do not parse
            # for an Apple target, where clang treats __nonnull as a keyword).
            cat >"$fake_sdk/usr/include/string.h" <<'HEADER'
#pragma once
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
HEADER
            cat >"$fake_sdk/usr/include/stdlib.h" <<'HEADER'
#pragma once
#include <stddef.h>
void abort(void);
void *malloc(size_t n);
void free(void *p);
HEADER
            cat >"$fake_sdk/usr/include/assert.h" <<'HEADER'
#pragma once
#define assert(e) ((void)0)
HEADER
            env_args=(
                "SDKROOT=$fake_sdk"
                "IPHONEOS_DEPLOYMENT_TARGET=15.0"
                "CC_${var}=clang"
                "AR_${var}=$llvm_ar"
                "CFLAGS_${var}=-nostdlibinc -isystem $clang_include -isystem $fake_sdk/usr/include"
            )
            ;;
    esac
    if env "${env_args[@]}" cargo check -p iav-bridge --lib --target "$t"; then
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
