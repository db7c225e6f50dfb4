#!/usr/bin/env bash
# Builds the documentation site into target/site/ (the guides with mdBook, the API references with
# rustdoc, Dokka and DocC) and, with --check, checks it (links, snippets, figures, pages in
# Chromium). Run `scripts/docs.sh --help`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/docs.sh [--check] [--only PART[,PART...]] [--skip PART[,PART...]] [--help]

Builds the documentation site into target/site/ (index.html at its root, the overview):
  book    the guides (docs/SUMMARY.md names the pages; scripts/lib/docs_stage.py takes them from
          docs/, README.md and the crates' READMEs, links rewritten for the site) with mdBook
          (crates.io, scripts/toolchains.sh install docs); a warning of mdBook fails the build
  rust    the core's reference, cargo doc --no-deps -p iav-bridge, in target/site/api/rust/
  kotlin  the Kotlin reference (bindings/kotlin and bindings/android/src/main/kotlin, with the
          Android framework jar, JNA and kotlinx-coroutines on the classpath) with Dokka
          (Maven Central, offline once resolved), in target/site/api/kotlin/
  swift   the Swift reference (bindings/swift/Sources/IAVBridge) with DocC: the symbol graph
          from swiftc, then docc convert for static hosting, in target/site/api/swift/, in the
          Swift environment (scripts/toolchains.sh swift-run; DocC ships with the toolchain, on
          Linux at /usr/libexec/swift/bin/docc); where no docc is found, a page saying so
          (the macOS workflow builds it then)

--check, after the build (the test command's docs step runs `scripts/docs.sh --check`):
  links     every internal link and #anchor of the built pages resolves
            (scripts/lib/check_site_links.py, offline); a page's link to a repository file
            that does not exist already fails the book part
  snippets  every kotlin and swift block of the guides is a region of a file that this check
            compiles, or says why it is not (<!-- not-compiled: REASON -->), and equals it
            (scripts/lib/check_doc_snippets.py); kotlinc compiles those Kotlin files against
            the generated bindings, the Android layer and the Android framework jar; swiftc
            type-checks those Swift files against the IAVBridge module (Swift 6 mode); every
            rust block of the pages runs as a doc test against the core (rustdoc --test)
  figures   the benchmark figures quoted in the pages equal docs/benchmarks.json, the one record
            (scripts/lib/check_doc_figures.py)
  browser   every page of the book and each reference's front page opens in headless Chromium
            (Debian's chromium, installed if missing) served on loopback, with no console error,
            uncaught exception or failed request (scripts/lib/check_site_browser.py)
Prints "N passed, N failed" over the checks; exit status 1 when a part or a check failed.

Environment: IAV_SITE_BASE, the path the site is published under (default empty: the site's
root is the server's; DocC needs it, for example IAV_SITE_BASE=iav-bridge for a project page).
USAGE
}

check=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --check) check=1; shift ;;
        --only | --skip) step_filter "$1" "${2:-}"; shift 2 ;;
        *) die_usage "unknown argument: $1" ;;
    esac
done

cd "$REPO"
site="$REPO/target/site"
work="$REPO/target/site-work"
base="${IAV_SITE_BASE:-}"
base="${base#/}"
base="${base%/}"
mkdir -p "$work"

# mdBook, Dokka and the Kotlin toolchain, installed when a part needs them (the swift part alone,
# as the macOS workflow runs it, needs none of them).
docs_tools() {
    [ -n "${MDBOOK:-}" ] && return 0
    bash scripts/toolchains.sh install docs
    kotlin_toolchain
    eval "$(bash scripts/toolchains.sh kotlin-env)"
}

passed=0
failed=0
record() { # record NAME STATUS
    if [ "$2" -eq 0 ]; then
        echo "PASS  $1"
        passed=$((passed + 1))
    else
        echo "FAIL  $1"
        failed=$((failed + 1))
    fi
}

# ------------------------------------------------------------------------------------ the parts

part_book() {
    docs_tools
    python3 scripts/lib/docs_stage.py "$work/book" || return 1
    rm -rf "$site"
    local out="$work/mdbook.log"
    "$MDBOOK" build "$work/book" -d "$site" >"$out" 2>&1 || { cat "$out"; return 1; }
    if grep -E '(WARN|ERROR)' "$out"; then
        echo "mdBook warned (above): fix it at the page's source"
        return 1
    fi
    # The icon browsers ask for at the root (mdBook's pages name theirs; its toc.html does not).
    cp "$(find "$site" -maxdepth 1 -name 'favicon-*.png' | head -n1)" "$site/favicon.ico"
    echo "mdBook $MDBOOK_VERSION: $(find "$site" -maxdepth 1 -name '*.html' | wc -l) pages in target/site/"
}

part_rust() {
    cargo doc -q --no-deps -p iav-bridge
    rm -rf "$site/api/rust"
    mkdir -p "$site/api/rust"
    cp -r "$TARGET_DIR/doc/." "$site/api/rust/"
    [ -f "$site/api/rust/iav_bridge/index.html" ] || { echo "rustdoc wrote no iav_bridge/index.html"; return 1; }
    echo "rustdoc: target/site/api/rust/iav_bridge/index.html"
}

part_kotlin() {
    docs_tools
    local out="$site/api/kotlin" config="$work/dokka.json"
    rm -rf "$out"
    REPO="$REPO" python3 - "$config" "$out" <<'PY'
import json, os, sys
config, out = sys.argv[1:]
repo = os.environ["REPO"]
json.dump({
    "moduleName": "iav-bridge",
    "outputDir": out,
    "offlineMode": True,
    "failOnWarning": False,
    "suppressObviousFunctions": True,
    "sourceSets": [{
        "displayName": "Android",
        "sourceSetID": {"scopeId": "iav-bridge", "sourceSetName": "main"},
        "sourceRoots": [f"{repo}/bindings/kotlin", f"{repo}/bindings/android/src/main/kotlin"],
        "classpath": [os.environ["ANDROID_JAR"], os.environ["JNA_JAR"],
                      os.environ["KOTLIN_LIB"] + "/kotlinx-coroutines-core-jvm.jar",
                      os.environ["KOTLIN_LIB"] + "/kotlin-stdlib.jar"],
        "analysisPlatform": "jvm",
        "jdkVersion": 17,
        "noJdkLink": True, "noStdlibLink": True, "noAndroidSdkLink": True,
        "documentedVisibilities": ["PUBLIC"],
        "skipEmptyPackages": True,
        "reportUndocumented": False,
    }],
    "pluginsClasspath": os.environ["DOKKA_PLUGINS_CP"].split(":"),
}, open(config, "w"), indent=1)
PY
    [ -s "$config" ] || return 1
    java -cp "$DOKKA_CP" dev.iavbridge.docs.DokkaRunnerKt "$config" || return 1
    [ -f "$out/index.html" ] || { echo "Dokka wrote no index.html"; return 1; }
    # Dokka's pages load the Kotlin playground from unpkg.com for runnable samples; the bindings
    # have none, and the site makes no request to another host.
    find "$out" -name '*.html' -exec sed -i 's|<script[^>]*src="https://unpkg.com/kotlin-playground@1[^"]*"[^>]*></script>||' {} +
    if grep -rlq 'unpkg.com' "$out" --include='*.html'; then
        echo "Dokka's pages still load a script from unpkg.com"; return 1
    fi
    echo "Dokka $DOKKA_VERSION: target/site/api/kotlin/index.html"
}

part_swift() {
    bash scripts/toolchains.sh install swift
    local out="$site/api/swift" rel="target/site-work/swift"
    rm -rf "$out" "$work/swift"
    mkdir -p "$work/swift"
    # shellcheck disable=SC2016 # expanded inside the Swift environment
    IAV_DOCS_BASE="$base" IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" bash scripts/toolchains.sh swift-run -- bash -c '
        set -euo pipefail
        work='"$rel"'
        docc="$(command -v docc || true)"
        [ -n "$docc" ] || [ ! -x /usr/libexec/swift/bin/docc ] || docc=/usr/libexec/swift/bin/docc
        [ -n "$docc" ] || { echo "no docc in this Swift toolchain"; : >"$work/no-docc"; exit 0; }
        swiftc -swift-version 5 -module-name IAVBridge -parse-as-library -emit-module \
            -emit-module-path "$work/module/IAVBridge.swiftmodule" \
            -emit-symbol-graph -emit-symbol-graph-dir "$work/symbols" \
            -Xcc -fmodule-map-file="$IAV_REPO/bindings/swift/Headers/IAVBridgeFFI/module.modulemap" \
            bindings/swift/Sources/IAVBridge/*.swift
        hosting="api/swift"
        [ -z "$IAV_DOCS_BASE" ] || hosting="$IAV_DOCS_BASE/api/swift"
        "$docc" convert --additional-symbol-graph-dir "$work/symbols" \
            --fallback-display-name IAVBridge --fallback-bundle-identifier dev.iavbridge.IAVBridge \
            --output-path "$work/IAVBridge.doccarchive" \
            --transform-for-static-hosting --hosting-base-path "$hosting" >"$work/docc.log" 2>&1 ||
            { cat "$work/docc.log"; exit 1; }
        echo "$("$docc" --version 2>/dev/null || echo docc): target/site/api/swift/documentation/iavbridge/index.html"
    ' || return 1
    if [ -f "$work/swift/no-docc" ]; then
        mkdir -p "$out/documentation/iavbridge"
        cat >"$out/documentation/iavbridge/index.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>IAVBridge (Swift)</title></head>
<body><h1>IAVBridge: the Swift reference</h1>
<p>The Swift toolchain that built this site has no DocC. The macOS workflow
(<code>.github/workflows/apple.yml</code>) builds this reference with Xcode's DocC:
run <code>scripts/docs.sh --only swift</code> on a Mac.</p></body></html>
HTML
        return 0
    fi
    mkdir -p "$out"
    cp -r "$work/swift/IAVBridge.doccarchive/." "$out/"
    # DocC's renderer asks for a theme; none is the default one.
    [ -f "$out/theme-settings.json" ] || echo '{}' >"$out/theme-settings.json"
}

# ------------------------------------------------------------------------------------ the checks

check_links() {
    # DocC's pages are drawn by JavaScript from JSON: their links are not in the HTML; rustdoc's
    # load their trait implementations by script. Links into both are checked.
    python3 scripts/lib/check_site_links.py "$site" --skip-prefix api/swift --skip-prefix api/rust
}

check_snippets() {
    docs_tools
    local out="$work/snippets"
    rm -rf "$out"
    mkdir -p "$out"
    # The Kotlin the guides quote: the generated bindings, the Android layer, android-sample's
    # flow/ and the first-hour pages' code, against the real Android framework.
    local kotlin_files=(android-sample/app/src/main/kotlin/dev/iavbridge/sample/flow docs/snippets/android)
    echo "kotlinc: ${kotlin_files[*]} against the bindings and android-all for SDK $COMPILE_SDK"
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$ANDROID_JAR:$KOTLIN_BINDINGS_CP:$PLAID_LINK_JAR" \
        bindings/kotlin bindings/android/src/main/kotlin "${kotlin_files[@]}" -d "$out/kotlin.jar" || return 1
    # The Swift the guides quote, type-checked in Swift 6 mode against the IAVBridge module.
    local swift_files=(ios-sample/Sources/Flow/BankVerification.swift ios-sample/Sources/SampleConfiguration.swift
        docs/snippets/ios/FirstHour.swift)
    bash scripts/toolchains.sh install swift
    # shellcheck disable=SC2016 # expanded inside the Swift environment
    IAV_SWIFT_RUN_WAIT="${IAV_SWIFT_RUN_WAIT:-900}" bash scripts/toolchains.sh swift-run -- bash -c '
        set -euo pipefail
        out=target/site-work/snippets
        map="-fmodule-map-file=$IAV_REPO/bindings/swift/Headers/IAVBridgeFFI/module.modulemap"
        swiftc -swift-version 5 -module-name IAVBridge -parse-as-library -emit-module \
            -emit-module-path "$out/module/IAVBridge.swiftmodule" -Xcc "$map" bindings/swift/Sources/IAVBridge/*.swift
        echo "swiftc -typecheck -swift-version 6: $*"
        swiftc -typecheck -swift-version 6 -I "$out/module" -Xcc "$map" "$@"
    ' swift "${swift_files[@]}" || return 1
    # Rust blocks of the pages: doc tests against the core's library.
    # The workspace debug build the test command has made already (no second set of features).
    build_host debug core
    local page n=0
    for page in "$work"/book/src/*.md; do
        grep -q '^```rust' "$page" || continue
        n=$((n + 1))
        rustdoc --test --edition 2021 --crate-name "docs_$(basename "$page" .md | tr '-' '_')" \
            -L "dependency=$TARGET_DIR/debug/deps" --extern "iav_bridge=$TARGET_DIR/debug/libiav_bridge.rlib" \
            "$page" || return 1
    done
    echo "rustdoc --test: the rust blocks of $n pages"
    python3 scripts/lib/check_doc_snippets.py --compiled "${kotlin_files[@]}" "${swift_files[@]}"
}

check_figures() {
    python3 scripts/lib/check_doc_figures.py
}

check_browser() {
    command -v chromium >/dev/null || apt_install chromium
    python3 scripts/lib/check_site_browser.py "$site" --base "$base" \
        api/rust/iav_bridge/index.html api/kotlin/index.html api/swift/documentation/iavbridge/
}

# ------------------------------------------------------------------------------------ main

for part in book rust kotlin swift; do
    step_selected "$part" || continue
    echo "==> $part"
    status=0
    "part_$part" || status=$?
    record "$part" "$status"
done
if [ "$check" -eq 1 ]; then
    for name in links snippets figures browser; do
        step_selected "$name" || continue
        echo "==> $name"
        status=0
        "check_$name" || status=$?
        record "$name" "$status"
    done
fi
print_counts docs "$passed" "$failed"
[ "$failed" -eq 0 ]
