#!/usr/bin/env bash
# Checks, on a Linux machine without the Android NDK or Xcode, everything of the mobile packaging
# that can be checked there. Prints a summary and a closing "N passed, N failed" line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/check-packaging.sh [--only STEP[,STEP...]] [--skip STEP[,STEP...]] [--list] [--help]
       scripts/check-packaging.sh --update-snippets

Checks the Android AAR module, the Swift package, both sample apps and the integration guides as
far as a Linux machine can (no Android SDK/NDK, Gradle, Google's Maven repository, Xcode or Apple
SDK here; the JVM jars, Robolectric's android-all and Plaid Link's AAR come from Maven Central).
Each step prints PASS or FAIL; the summary ends with "N passed, N failed". Exit status 1 if any
step failed. Installs what it needs (rust targets, clang, kotlinc, a Swift toolchain) through
scripts/check-mobile-targets.sh and scripts/toolchains.sh.

Steps:
  mobile-targets  cargo check of the core for aarch64-linux-android and aarch64-apple-ios
                  (scripts/check-mobile-targets.sh; Debian's clang stands in for the NDK/Xcode).
  jni-entry       src/lib.rs declares the Android module, and src/android.rs (the JNI entry point
                  that initializes rustls-platform-verifier) passes clippy -D warnings for
                  aarch64-linux-android on its own.
  align-16k       scripts/check-16k-alignment.sh --self-test: the 16 KB check fails on a 4 KB
                  build of a probe cdylib and passes on a build with the .cargo/config.toml flags
                  (build-android.sh runs the check on the core's real .so files).
  kotlin          kotlinc compiles the AAR's hand-written Kotlin (bindings/android/src/main/kotlin),
                  its tests (src/robolectric/kotlin), the generated bindings and android-sample's
                  flow/ (the flows, and flow/PlaidLinkSdk.kt: every call into Plaid Link but the
                  AndroidX OpenPlaidLink registration, against the real com.plaid.link:sdk-core
                  classes) against the real Android framework (Robolectric's android-all jar for
                  the AAR's compileSdk, from Maven Central; AndroidX and Compose, served by
                  Google's repository only, stay out: MainActivity and VerifyViewModel); then runs the
                  tests under Robolectric, offline, against the host build of the core
                  (initialization, errors, preload and the main thread, the Logcat sink, config, the encrypted
                  completion store with a software key in place of the Android Keystore).
                  Fails when a stand-in of an android.* class is in the tree.
  swift           swift package dump-package of Package.swift, both as Linux sees it (system
                  library + host .so) and as a Mac does (binary target), checked for products,
                  platforms (iOS 15, macOS 12) and Swift 5 mode of the generated module; swift build
                  and swift test (bindings/swift/Tests/IAVBridgeTests, XCTest) of the package
                  linked against target/debug/libiav_bridge.so; ios-sample's
                  Flow/BankVerification.swift type-checked in Swift 6 mode against it.
  project-files   Gradle version catalogs parse, every libs.* reference in the .kts files exists,
                  library and sample share AGP/Kotlin, JNA >= 5.17 as an AAR, minSdk 24, consumer
                  R8 rules, manifests/resources/plists parse, the startup initializer names a real
                  class, project.yml has the packages, entitlement and settings the app needs.
  docs            docs/integration-android.md and docs/integration-ios.md exist and every code
                  block marked <!-- snippet: FILE#NAME --> equals the region NAME of FILE in the
                  samples (so the guides show code that the samples compile).

--update-snippets copies each marked region of the samples into the guides' snippets (after a
change to the samples), then exits; run the docs step afterwards.

Skipped here, and why: the Gradle build, R8, the AAR's contents and the .so files per ABI (no
Android SDK/NDK or Gradle: scripts/build-android.sh and the android workflow); the
XCFramework, LinkKit, SwiftUI and the iOS app (no Xcode: scripts/build-xcframework.sh and
ios-sample/README.md on a Mac); running either sample app.
USAGE
}

all_steps=(mobile-targets jni-entry align-16k kotlin swift project-files docs)
update_snippets=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --list) printf '%s\n' "${all_steps[@]}"; exit 0 ;;
        --update-snippets) update_snippets=1; shift ;;
        --only | --skip) step_filter "$1" "${2:-}"; shift 2 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

cd "$REPO"
work="$REPO/target/packaging-check"
mkdir -p "$work"

# ---------------------------------------------------------------------------------------------
step_mobile_targets() {
    bash scripts/check-mobile-targets.sh
}

step_jni_entry() {
    command -v clang >/dev/null 2>&1 || { echo "clang is missing: run the mobile-targets step first"; return 1; }
    # The module is also compiled by the mobile-targets step through the core; here it is linted
    # on its own, with the same jni and rustls-platform-verifier versions as Cargo.lock.
    local crate="$work/jni-entry"
    mkdir -p "$crate/src"
    cat >"$crate/Cargo.toml" <<EOF
[package]
name = "iav-bridge-jni-entry-check"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
log = "0.4"
rustls-platform-verifier = "0.7"

[target.'cfg(target_os = "android")'.dependencies]
jni = "0.22"

[workspace]
EOF
    cat >"$crate/src/lib.rs" <<EOF
//! The core's JNI entry point, compiled on its own.
#[cfg(target_os = "android")]
#[path = "$REPO/src/android.rs"]
pub mod android;
EOF
    cp Cargo.lock "$crate/Cargo.lock"
    source scripts/lib/mobile-cc.sh
    mobile_cc_env aarch64-linux-android
    env CARGO_TARGET_DIR="$TARGET_DIR" "${MOBILE_CC_ENV[@]}" \
        cargo clippy --manifest-path "$crate/Cargo.toml" --target aarch64-linux-android -- -D warnings
    echo "src/android.rs: clippy -D warnings clean for aarch64-linux-android"

    # The module must be part of the core, or the AAR's libiav_bridge.so lacks the entry point and
    # IavBridgeAndroid.initialize fails (UnsatisfiedLinkError) on every device.
    local decl='^[[:space:]]*(pub[[:space:]]+)?mod[[:space:]]+android[[:space:]]*;'
    if ! grep -Eq "$decl" src/lib.rs; then
        echo "src/lib.rs does not declare the Android module; add, next to the other modules:"
        echo '    #[cfg(target_os = "android")]'
        echo '    mod android;'
        return 1
    fi
    if ! grep -E -B2 "$decl" src/lib.rs | grep -q 'target_os = "android"'; then
        echo 'src/lib.rs declares mod android without #[cfg(target_os = "android")]'
        return 1
    fi
    echo "src/lib.rs declares the Android module"
}

step_align_16k() {
    bash scripts/check-16k-alignment.sh --self-test
}

step_kotlin() {
    kotlin_toolchain
    local out="$work/kotlin"
    rm -rf "$out"
    mkdir -p "$out"
    local cp="$KOTLIN_BINDINGS_CP:$JUNIT_JAR:$HAMCREST_JAR:$ROBOLECTRIC_CP"
    echo "kotlinc: generated bindings + bindings/android/src/main/kotlin + its tests (src/robolectric) + android-sample flow (its Plaid calls against Plaid Link $PLAID_LINK_VERSION), against android-all for SDK $COMPILE_SDK"
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$ANDROID_JAR:$cp:$PLAID_LINK_JAR" \
        bindings/kotlin \
        bindings/android/src/main/kotlin \
        bindings/android/src/robolectric/kotlin \
        tests/kotlin/Runner.kt \
        android-sample/app/src/main/kotlin/dev/iavbridge/sample/flow \
        -d "$out/check.jar"
    # The Android layer runs on the real framework only: no stand-in of an android.* class may
    # come back into the tree.
    local standins
    standins="$(grep -rlE '^package android(x)?\.' --include='*.kt' --include='*.java' bindings android-sample tests 2>/dev/null || true)"
    if [ -n "$standins" ]; then
        echo "stand-ins of Android classes in the tree (test against the real framework instead):"
        echo "$standins"
        return 1
    fi
    # Under Robolectric, offline (its instrumented android-all jar resolved ahead; the plain one on
    # the classpath, as a Gradle unit test's android.jar), against the host build of the core
    # (loadClient and preload run the real bindings). ROBOLECTRIC_JAVA_OPTS is a list of options.
    build_host debug core
    echo "Robolectric $ROBOLECTRIC_VERSION, SDK $COMPILE_SDK, on $("$ROBOLECTRIC_JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = /Java /p')"
    # shellcheck disable=SC2086
    "$ROBOLECTRIC_JAVA" $ROBOLECTRIC_JAVA_OPTS -Djna.nosys=true -Djna.library.path="$TARGET_DIR/debug" \
        -Djava.library.path="$TARGET_DIR/debug" \
        "${DECLARED_VERSIONS_PROPS[@]}" \
        -cp "$out/check.jar:$cp:$KOTLIN_LIB/kotlin-stdlib.jar:$ANDROID_JAR" \
        dev.iavbridge.tests.RunnerKt dev.iavbridge.android.IavBridgeAndroidTest dev.iavbridge.android.EncryptedCompletionStoreTest
}

step_swift() {
    bash scripts/toolchains.sh install swift
    local out="$work/swift"
    rm -rf "$out"
    mkdir -p "$out/darwin"
    # The manifest as a Mac evaluates it: the Linux-only branch switched off.
    sed -E 's/^([[:space:]]*)#if os\(Linux\)$/\1#if false/' Package.swift >"$out/darwin/Package.swift"
    grep -q '#if false' "$out/darwin/Package.swift" || { echo "Package.swift has no '#if os(Linux)' branch"; return 1; }
    echo "cargo build --workspace --all-targets (debug: the host library the Linux build links)"
    build_host debug core
    # Another swift-run (the Swift suite, another checkout's check) may hold its lock: wait for it
    # up to 10 minutes.
    # shellcheck disable=SC2016 # expanded inside the Swift environment
    IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-600}" bash scripts/toolchains.sh swift-run -- bash -c '
        set -euo pipefail
        swift package dump-package >target/packaging-check/swift/linux.json
        swift package --package-path target/packaging-check/swift/darwin dump-package >target/packaging-check/swift/darwin.json
        swift build --scratch-path target/swift-build -Xlinker -L"$IAV_REPO/target/debug"
        swift test --scratch-path target/swift-build -Xlinker -L"$IAV_REPO/target/debug"
        echo "swiftc -typecheck -swift-version 6 ios-sample/Sources/Flow/BankVerification.swift"
        swiftc -typecheck -swift-version 6 -I target/swift-build/debug/Modules \
            -Xcc -fmodule-map-file="$IAV_REPO/bindings/swift/Headers/IAVBridgeFFI/module.modulemap" \
            ios-sample/Sources/Flow/BankVerification.swift ios-sample/Sources/SampleConfiguration.swift
    '
    python3 scripts/lib/check_swift_manifest.py "$out/linux.json" "$out/darwin.json"
}

step_project_files() {
    python3 scripts/lib/check_project_files.py
}

step_docs() {
    if [ "$update_snippets" -eq 1 ]; then
        python3 scripts/lib/check_doc_snippets.py --update
    else
        python3 scripts/lib/check_doc_snippets.py
    fi
}

if [ "$update_snippets" -eq 1 ]; then
    step_docs
    exit $?
fi

# ---------------------------------------------------------------------------------------------
run_steps "$work" "=== packaging checks (what needs the NDK, Gradle or Xcode is not run here: see --help)" \
    packaging "${all_steps[@]}"
