#!/usr/bin/env bash
# The public Kotlin and Swift API of the bindings, held in api/ (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/api-dump.sh --check | --update | --print kotlin|swift

The public API of what apps call, one declaration a line (names and signatures of the public
types, constructors, functions, properties, enum entries and cases; uniffi's FFI plumbing left
out; scripts/lib/api_dump.py says exactly what is kept), committed as:
  api/iav_bridge.kt.api     bindings/kotlin/dev/iavbridge/*.kt and the Android layer
                            (bindings/android/src/main/kotlin)
  api/IAVBridge.swift.api   bindings/swift/Sources/IAVBridge/*.swift

--check          compare the dumps of the sources with the committed ones; on a difference,
                 print the diff, what kind of change it is (removed or changed declarations break
                 apps; additions do not) and how to accept it; exit 1. The test command's
                 release step runs it.
--update         write the dumps from the sources (after scripts/generate-bindings.sh, or a
                 change to the Android layer or the conveniences), to commit with the change.
--print LANG     print one dump to standard output.

A change of the dumps is a change of the public API: note it in CHANGELOG.md under
[Unreleased]; the next release takes the version step semantic versioning asks for
(docs/releasing.md).
USAGE
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    --check | --update) [ "$#" -eq 1 ] || die_usage "$1 takes no argument"; exec python3 "$REPO/scripts/lib/api_dump.py" "$1" ;;
    --print) [ "$#" -eq 2 ] || die_usage "--print needs kotlin or swift"; exec python3 "$REPO/scripts/lib/api_dump.py" --print "$2" ;;
    "") usage >&2; exit 2 ;;
    *) die_usage "unknown argument: $1" ;;
esac
