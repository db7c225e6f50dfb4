#!/usr/bin/env bash
# Builds the iav-bridge Android AAR: native libraries for four ABIs, then the Gradle module.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/build-android.sh [--native-only] [--help]

From a clean checkout to a release AAR, on a machine with the Android SDK and NDK:

  1. installs what Rust needs if missing: the four Android targets (rustup target add) and
     cargo-ndk (cargo install --locked);
  2. generates the Kotlin bindings if bindings/kotlin is missing (scripts/generate-bindings.sh);
  3. builds libiav_bridge.so from the release profile with cargo-ndk for arm64-v8a, armeabi-v7a,
     x86_64 and x86 (minSdk 24) into bindings/android/build/rustJniLibs/<abi>/;
  4. checks that every .so is aligned for 16 KB pages (scripts/check-16k-alignment.sh);
  5. builds the AAR with Gradle (bindings/android: ./gradlew if present, else gradle):
     bindings/android/build/outputs/aar/iav-bridge-android-release.aar;
  6. prints each .so's size per ABI and the AAR's size.

--native-only   stop after step 4 (the Gradle module's preBuild calls this).

Needs: ANDROID_NDK_HOME (or ANDROID_NDK_ROOT, or an NDK under $ANDROID_HOME/ndk/), Java 17, and
for step 5 Gradle 8.13+ (run `gradle wrapper` once in bindings/android to create ./gradlew).
NDK r28+ aligns to 16 KB by default; .cargo/config.toml passes the linker flags for older NDKs.
Do not set RUSTFLAGS: it would override those per-target flags (step 4 would then fail).
USAGE
}

native_only=0
for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        --native-only) native_only=1 ;;
        *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
    esac
done

cd "$REPO"
module_dir="$REPO/bindings/android"
jni_out="$module_dir/build/rustJniLibs"
abis=(arm64-v8a armeabi-v7a x86_64 x86)
rust_targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android)
min_sdk=24

if [ -n "${RUSTFLAGS:-}" ]; then
    die "RUSTFLAGS is set; it would replace the 16 KB page-size flags of .cargo/config.toml. Unset it."
fi

# The NDK: cargo-ndk reads ANDROID_NDK_HOME.
if [ -z "${ANDROID_NDK_HOME:-}" ]; then
    if [ -n "${ANDROID_NDK_ROOT:-}" ]; then
        export ANDROID_NDK_HOME="$ANDROID_NDK_ROOT"
    else
        sdk="${ANDROID_HOME:-${ANDROID_SDK_ROOT:-$HOME/Android/Sdk}}"
        if [ -d "$sdk/ndk" ]; then
            newest="$(ls -1 "$sdk/ndk" | sort -V | tail -n 1)"
            [ -n "$newest" ] && export ANDROID_NDK_HOME="$sdk/ndk/$newest"
        fi
    fi
fi
[ -n "${ANDROID_NDK_HOME:-}" ] && [ -d "$ANDROID_NDK_HOME" ] \
    || die "no Android NDK found: set ANDROID_NDK_HOME (Android Studio: SDK Manager > SDK Tools > NDK)"
echo "== NDK: $ANDROID_NDK_HOME"

echo "== Rust targets and cargo-ndk"
ensure_rust_targets "${rust_targets[@]}"
command -v cargo-ndk >/dev/null 2>&1 || cargo install --locked cargo-ndk

if [ ! -f bindings/kotlin/dev/iavbridge/iav_bridge.kt ]; then
    echo "== generating the Kotlin bindings"
    bash scripts/generate-bindings.sh
fi

echo "== cargo ndk rustc --release --crate-type cdylib (${abis[*]})"
rm -rf "$jni_out"
# `cargo rustc --crate-type cdylib` links the shared library alone: with the crate's three crate
# types (lib, cdylib, staticlib) built together, fat LTO does not apply to the cdylib and the
# library is about 30% larger.
for i in "${!abis[@]}"; do
    abi="${abis[$i]}"
    triple="${rust_targets[$i]}"
    cargo ndk -t "$abi" --platform "$min_sdk" rustc --release -p iav-bridge --lib --crate-type cdylib
    mkdir -p "$jni_out/$abi"
    cp "$TARGET_DIR/$triple/release/libiav_bridge.so" "$jni_out/$abi/"
done

echo "== 16 KB page alignment"
libs=()
for abi in "${abis[@]}"; do
    so="$jni_out/$abi/libiav_bridge.so"
    [ -f "$so" ] || die "cargo-ndk did not produce $so"
    libs+=("$so")
done
bash scripts/check-16k-alignment.sh "${libs[@]}"

print_sizes() {
    echo "== libiav_bridge.so per ABI (release, stripped)"
    for abi in "${abis[@]}"; do
        printf '  %-12s %10d bytes\n' "$abi" "$(stat -c %s "$jni_out/$abi/libiav_bridge.so" 2>/dev/null || stat -f %z "$jni_out/$abi/libiav_bridge.so")"
    done
}

if [ "$native_only" -eq 1 ]; then
    print_sizes
    exit 0
fi

echo "== Gradle: assembleRelease"
cd "$module_dir"
if [ -x ./gradlew ]; then
    gradle_cmd=(./gradlew)
elif command -v gradle >/dev/null 2>&1; then
    gradle_cmd=(gradle)
else
    die "neither bindings/android/gradlew nor gradle found (install Gradle 8.13+, then run 'gradle wrapper' in bindings/android)"
fi
"${gradle_cmd[@]}" --no-daemon -Piavbridge.skipCargo=true assembleRelease
aar="$module_dir/build/outputs/aar/iav-bridge-android-release.aar"
[ -f "$aar" ] || die "Gradle finished but $aar is missing"

cd "$REPO"
print_sizes
echo "== AAR: $aar ($(stat -c %s "$aar" 2>/dev/null || stat -f %z "$aar") bytes)"
if command -v unzip >/dev/null 2>&1; then
    echo "   contents: $(unzip -Z1 "$aar" | grep -E '^(jni/|libs/|classes.jar|proguard.txt)' | tr '\n' ' ')"
fi
