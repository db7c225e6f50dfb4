#!/usr/bin/env bash
# One version for a release: sets or checks every place that names it (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: scripts/release.sh VERSION
       scripts/release.sh --check [--tag TAG]
       scripts/release.sh --notes [VERSION] | --xcframework-url | --version

The crate version in Cargo.toml ([package] version) is the version of everything iav-bridge
ships; these places follow it:
  Cargo.lock                         the iav-bridge entry
  bindings/android/build.gradle.kts  the AAR's version is read from Cargo.toml (no literal); its
                                     coordinates("GROUP", "ARTIFACT", crateVersion) name the AAR
  Package.swift                      releaseURL: REPOSITORY/releases/download/vVERSION/IAVBridgeFFI.xcframework.zip
                                     (REPOSITORY: Cargo.toml's `repository`, the one place it is
                                     written); a .release(url:checksum:) binary source uses it too
  README.md, docs/*.md               the dependency lines "GROUP:ARTIFACT:VERSION" and
                                     .package(url: "REPOSITORY", from: "VERSION"); the Android and
                                     iOS guides must each hold theirs
  CHANGELOG.md                       the newest released section, "## [VERSION] - YYYY-MM-DD"

VERSION            set them all to VERSION (MAJOR.MINOR.PATCH[-PRERELEASE], semver): the
                   "## [Unreleased]" section of CHANGELOG.md becomes "## [VERSION] - today" under a
                   new empty [Unreleased] (refused, changing nothing, when [Unreleased] is empty).
                   Then commit, and push the tag vVERSION: .github/workflows/release.yml publishes.
--check            exit 1, naming each file that differs, when any place does not say Cargo.toml's
                   version (the test command's release step runs it).
  --tag TAG        also fail unless TAG is v<version> (the release workflow passes its tag).
--notes [VERSION]  print CHANGELOG.md's section of VERSION (default: the current one), the
                   release notes.
--xcframework-url  print the XCFramework zip's release URL for the current version.
--version          print the current version.

Exit status: 0 when done (or everything follows), 1 when a place differs, 2 for wrong arguments.
See docs/releasing.md.
EOF
}

helper=(python3 "$REPO/scripts/lib/release_version.py")
case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
    --check)
        shift
        case "${1:-}" in
            "") exec "${helper[@]}" --check ;;
            --tag) [ -n "${2:-}" ] || die_usage "--tag needs a tag"; exec "${helper[@]}" --check --tag "$2" ;;
            *) die_usage "unknown argument: $1" ;;
        esac
        ;;
    --notes) exec "${helper[@]}" --notes "${2:-}" ;;
    --xcframework-url | --version) [ "$#" -eq 1 ] || die_usage "$1 takes no argument"; exec "${helper[@]}" "$1" ;;
    -*) die_usage "unknown option: $1" ;;
    *) [ "$#" -eq 1 ] || die_usage "one VERSION only"; exec "${helper[@]}" --set "$1" ;;
esac
