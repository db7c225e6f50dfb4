#!/usr/bin/env bash
# The Kotlin suite as instrumented tests on an Android device or emulator (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/test-android-device.sh [--help]

Runs the Kotlin suite (tests/kotlin) as instrumented tests on the device or emulator adb sees,
against a sample-backend on this machine (.github/workflows/android.yml runs it on emulators at
API 24, the AAR's minSdk, and API 36):
  1. builds the sample-backend (cargo, release) and starts it on 127.0.0.1:PORT with the public
     URL http://10.0.2.2:PORT/ (10.0.2.2 is the emulator's name for this machine), waiting for
     its ready file;
  2. runs `gradle connectedDebugAndroidTest` in bindings/android: the androidTest APK holds the
     AAR (its native libraries for the emulator's ABI: run scripts/build-android.sh
     --native-only first, or leave IAV_SKIP_CARGO unset to let Gradle build them) and the
     device-capable part of the suite (build.gradle.kts, deviceSuite: every file of tests/kotlin
     but the JVM runner and the tests that need a JVM: DocsTest, ErrorsTest, FirstUseStressTest);
     the runner (src/androidTest, BackendRunner) initializes the Android layer and hands the
     backend's ready file to the suite as IAV_READY_FILE, as scripts/test-kotlin.sh does on the JVM;
  3. stops the backend, whatever happened.
Gradle's reports: bindings/android/build/reports/androidTests/connected/.

Needs: adb with one device, Java 17, Gradle 8.14 (bindings/android/gradlew if present, else
gradle), the Android SDK. Nothing of it runs on a machine without them.

Environment:
  IAV_DEVICE_BACKEND_PORT  the backend's port on this machine (default 8080)
  IAV_SKIP_CARGO           1: the native libraries are built already (-Piavbridge.skipCargo=true)
  CARGO_TARGET_DIR         cargo's target directory
USAGE
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) die_usage "unknown argument: $1" ;;
esac

command -v adb >/dev/null || die "adb not found: this runs on a machine with the Android SDK and a device or emulator"
cd "$REPO"
port="${IAV_DEVICE_BACKEND_PORT:-8080}"
log "building the sample-backend"
build_host release backend

work="$(mktemp -d)"
on_exit rm -rf "$work"
start_service sample-backend "$work/ready.json" "$work/backend.log" \
    "$TARGET_DIR/release/sample-backend" --listen "127.0.0.1:$port" \
    --public-url "http://10.0.2.2:$port/" --ready-file "$work/ready.json"
log "sample-backend on 127.0.0.1:$port (the emulator's http://10.0.2.2:$port/)"

if [ -x bindings/android/gradlew ]; then gradle_cmd=(bindings/android/gradlew); else gradle_cmd=(gradle); fi
skip=false
[ "${IAV_SKIP_CARGO:-}" = 1 ] && skip=true
status=0
"${gradle_cmd[@]}" -p bindings/android --console=plain connectedDebugAndroidTest \
    -Piavbridge.skipCargo="$skip" \
    -Pandroid.testInstrumentationRunnerArguments.iavReadyJson="$(base64 -w0 "$work/ready.json")" || status=$?
[ "$status" -eq 0 ] || tail -n 40 "$work/backend.log" >&2
exit "$status"
