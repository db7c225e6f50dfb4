#!/usr/bin/env bash
# android-sample as a minified release build (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/build-android-sample.sh [--help]

Builds android-sample's release APK with Gradle (`:app:assembleRelease` in android-sample: R8
shrinks and obfuscates it with the AAR's consumer rules, consumer-rules.pro, and the app's
proguard-rules.pro), the AAR module taken from source as an included build, and prints the APK's
size and the native libraries it packs per ABI. .github/workflows/android.yml runs it after
scripts/build-android.sh.

Needs: Java 17, Gradle 8.14 (android-sample/gradlew if present, else gradle), the Android SDK,
and the native libraries: run scripts/build-android.sh (or --native-only) first, or leave
IAV_SKIP_CARGO unset to let the included build run cargo-ndk itself.

Environment:
  IAV_SKIP_CARGO  1: the native libraries are built already (-Piavbridge.skipCargo=true)
USAGE
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) die_usage "unknown argument: $1" ;;
esac

cd "$REPO"
if [ -x android-sample/gradlew ]; then gradle_cmd=(android-sample/gradlew); else gradle_cmd=(gradle); fi
command -v "${gradle_cmd[0]}" >/dev/null || die "Gradle not found (install Gradle 8.14, or run 'gradle wrapper' in android-sample)"
skip=false
[ "${IAV_SKIP_CARGO:-}" = 1 ] && skip=true
"${gradle_cmd[@]}" -p android-sample --console=plain :app:assembleRelease -Piavbridge.skipCargo="$skip"

apk="$(find android-sample/app/build/outputs/apk/release -name '*.apk' | head -n1)"
[ -n "$apk" ] || die "no release APK under android-sample/app/build/outputs/apk/release"
echo "== $apk: $(wc -c <"$apk") bytes"
unzip -l "$apk" 'lib/*' | awk '/lib\//{print "   " $4 ": " $1 " bytes"}'
mapping=android-sample/app/build/outputs/mapping/release/mapping.txt
[ -f "$mapping" ] || die "no R8 mapping ($mapping): the release build was not minified"
echo "== R8 mapping: $mapping ($(wc -l <"$mapping") lines)"
