#!/usr/bin/env bash
# Checks, on a Linux machine without the Android NDK or Xcode, everything of the mobile packaging
# that can be checked there. Prints a summary and a closing "N passed, N failed" line.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/check-packaging.sh [--only STEP[,STEP...]] [--skip STEP[,STEP...]] [--list] [--help]
       scripts/check-packaging.sh --update-snippets

Checks the Android AAR module, the Swift package, both sample apps and the integration guides as
far as a Linux machine can (no Android SDK/NDK, Gradle, Maven Central, Xcode or Apple SDK here).
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
                  build of the core's cdylib and passes on a build with the .cargo/config.toml flags.
  kotlin          kotlinc compiles the AAR's hand-written Kotlin (bindings/android/src/main/kotlin,
                  with JVM stand-ins for 3 Android classes from src/jvmCheck/stubs), the generated
                  bindings and android-sample's flow (flow/BankVerification.kt); then runs
                  src/jvmCheck/kotlin/PackagingCheck.kt (initialization, errors, log sink, config).
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
Android SDK/NDK, Gradle or Maven Central: scripts/build-android.sh on a workstation); the
XCFramework, LinkKit, SwiftUI and the iOS app (no Xcode: scripts/build-xcframework.sh and
ios-sample/README.md on a Mac); running either sample app.
USAGE
}

all_steps=(mobile-targets jni-entry align-16k kotlin swift project-files docs)
only=""
skip=""
update_snippets=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --list) printf '%s\n' "${all_steps[@]}"; exit 0 ;;
        --update-snippets) update_snippets=1; shift ;;
        --only) only="${2:?--only needs step names}"; shift 2 ;;
        --skip) skip="${2:?--skip needs step names}"; shift 2 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
work="$repo_root/target/packaging-check"
mkdir -p "$work"

selected() {
    local step="$1"
    if [ -n "$only" ] && [[ ",$only," != *",$step,"* ]]; then return 1; fi
    if [ -n "$skip" ] && [[ ",$skip," == *",$step,"* ]]; then return 1; fi
    return 0
}

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
#[path = "$repo_root/src/android.rs"]
pub mod android;
EOF
    cp Cargo.lock "$crate/Cargo.lock"
    local clang_include
    clang_include="$(clang -print-resource-dir)/include"
    CARGO_TARGET_DIR="$repo_root/target/mobile-check" \
        CC_aarch64_linux_android=clang \
        AR_aarch64_linux_android="$(command -v llvm-ar || ls /usr/bin/llvm-ar-* | sort -V | tail -n 1)" \
        CFLAGS_aarch64_linux_android="--target=aarch64-linux-android24 -nostdlibinc -isystem $clang_include -isystem /usr/aarch64-linux-gnu/include" \
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
    bash scripts/toolchains.sh install kotlin
    eval "$(bash scripts/toolchains.sh kotlin-env)"
    local out="$work/kotlin"
    rm -rf "$out"
    mkdir -p "$out"
    local cp="$JNA_JAR:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar"
    echo "kotlinc: generated bindings + bindings/android/src/main/kotlin + stubs + android-sample flow"
    "$KOTLINC" -nowarn -cp "$cp" \
        bindings/kotlin \
        bindings/android/src/main/kotlin \
        bindings/android/src/jvmCheck/stubs \
        bindings/android/src/jvmCheck/kotlin \
        android-sample/app/src/main/kotlin/dev/iavbridge/sample/flow \
        -d "$out/check.jar"
    # The stubs must never end up in the real module's sources.
    if grep -rq "JVM-only stand-in" bindings/android/src/main; then
        echo "a JVM stand-in was found under bindings/android/src/main"
        return 1
    fi
    java -cp "$out/check.jar:$cp:$KOTLIN_LIB/kotlin-stdlib.jar" dev.iavbridge.android.PackagingCheckKt
}

# scripts/toolchains.sh swift-run, waiting (up to 10 minutes) while another swift-run holds its lock.
swift_run_waiting() {
    local attempt log="$work/swift-run.out"
    for attempt in $(seq 1 120); do
        if bash scripts/toolchains.sh swift-run -- "$@" >"$log" 2>&1; then
            cat "$log"
            return 0
        fi
        if grep -q "another swift-run is in progress" "$log"; then
            [ "$attempt" -eq 1 ] && echo "waiting for another swift-run to finish..."
            sleep 5
            continue
        fi
        cat "$log"
        return 1
    done
    echo "gave up waiting for the swift-run lock"
    return 1
}

step_swift() {
    bash scripts/toolchains.sh install swift
    local out="$work/swift"
    rm -rf "$out"
    mkdir -p "$out/darwin"
    # The manifest as a Mac evaluates it: the Linux-only branch switched off.
    sed -E 's/^([[:space:]]*)#if os\(Linux\)$/\1#if false/' Package.swift >"$out/darwin/Package.swift"
    grep -q '#if false' "$out/darwin/Package.swift" || { echo "Package.swift has no '#if os(Linux)' branch"; return 1; }
    echo "cargo build -p iav-bridge --lib (the host library the Linux build links)"
    cargo build -p iav-bridge --lib --quiet
    # shellcheck disable=SC2016 # expanded inside the Swift environment
    swift_run_waiting bash -c '
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
    python3 - "$out/linux.json" "$out/darwin.json" <<'PY'
import json, sys

def load(path):
    with open(path) as f:
        return json.load(f)

problems = []
for label, path, ffi_type in (("linux", sys.argv[1], "system"), ("darwin", sys.argv[2], "binary")):
    m = load(path)
    products = {p["name"]: p for p in m["products"]}
    if "IAVBridge" not in products or products["IAVBridge"]["targets"] != ["IAVBridge"]:
        problems.append(f"{label}: no library product IAVBridge of target IAVBridge")
    platforms = {p["platformName"]: p["version"] for p in m["platforms"]}
    if platforms.get("ios") != "15.0" or platforms.get("macos") != "12.0":
        problems.append(f"{label}: platforms are {platforms}, expected iOS 15.0 and macOS 12.0")
    targets = {t["name"]: t for t in m["targets"]}
    ffi = targets.get("IAVBridgeFFI")
    if ffi is None or ffi["type"] != ffi_type:
        problems.append(f"{label}: IAVBridgeFFI should be a {ffi_type} target, is {ffi and ffi['type']}")
    if label == "darwin" and ffi is not None and not (ffi.get("path") or ffi.get("url")):
        problems.append("darwin: the binary target has neither a path nor a URL")
    gen = targets.get("IAVBridge")
    if gen is None or gen.get("path") != "bindings/swift/Sources/IAVBridge":
        problems.append(f"{label}: target IAVBridge does not use bindings/swift/Sources/IAVBridge")
    else:
        modes = [s for s in gen.get("settings", []) if "swiftLanguageMode" in json.dumps(s)]
        if not modes or '"5"' not in json.dumps(modes):
            problems.append(f"{label}: target IAVBridge is not built in Swift 5 language mode: {modes}")
    print(f"{label}: products {sorted(products)}, platforms {platforms}, IAVBridgeFFI {ffi and ffi['type']}")
for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
PY
}

step_project_files() {
    python3 - <<'PY'
import os, re, sys, tomllib, plistlib
import xml.etree.ElementTree as ET

try:
    import yaml
except ImportError:
    yaml = None

problems = []
def problem(msg):
    problems.append(msg)
    print("problem:", msg)

def catalog(path):
    with open(path, "rb") as f:
        return tomllib.load(f)

def accessor(alias):
    return alias.replace("-", ".").replace("_", ".")

lib_cat = catalog("bindings/android/gradle/libs.versions.toml")
app_cat = catalog("android-sample/gradle/libs.versions.toml")
for key in ("agp", "kotlin"):
    if lib_cat["versions"].get(key) != app_cat["versions"].get(key):
        problem(f"{key} differs: library {lib_cat['versions'].get(key)} vs sample {app_cat['versions'].get(key)}")

def check_refs(kts, cat):
    text = open(kts).read()
    libs = {accessor(a) for a in cat.get("libraries", {})}
    plugins = {accessor(a) for a in cat.get("plugins", {})}
    versions = {accessor(a) for a in cat.get("versions", {})}
    for ref in sorted(set(re.findall(r"\blibs\.([A-Za-z0-9_.]+)", text))):
        ref = re.sub(r"\.(get|orNull)$", "", ref)
        if ref.startswith("plugins."):
            ok = ref[len("plugins."):] in plugins
        elif ref.startswith("versions."):
            ok = ref[len("versions."):] in versions
        else:
            ok = ref in libs
        if not ok:
            problem(f"{kts}: libs.{ref} is not in the version catalog")
    if text.count("{") != text.count("}") or text.count("(") != text.count(")"):
        problem(f"{kts}: unbalanced braces or parentheses")

for kts in ("bindings/android/build.gradle.kts", "bindings/android/settings.gradle.kts"):
    check_refs(kts, lib_cat)
for kts in ("android-sample/build.gradle.kts", "android-sample/settings.gradle.kts", "android-sample/app/build.gradle.kts"):
    check_refs(kts, app_cat)

# The library: JNA >= 5.17 as an AAR, minSdk 24, coroutines, startup, publication, sources.
jna = lib_cat["versions"]["jna"]
if tuple(int(x) for x in jna.split(".")[:2]) < (5, 17):
    problem(f"JNA {jna} is older than 5.17 (crashes on 16 KB page devices)")
lib_build = open("bindings/android/build.gradle.kts").read()
if not re.search(r"implementation\(libs\.jna\)\s*\{\s*artifact\s*\{\s*type\s*=\s*\"aar\"", lib_build):
    problem("JNA is not taken as an AAR (net.java.dev.jna:jna:<version>@aar)")
if lib_cat["versions"]["minSdk"] != "24":
    problem(f"library minSdk is {lib_cat['versions']['minSdk']}, expected 24")
for needle in ("libs.kotlinx.coroutines.android", "libs.androidx.startup.runtime", "maven-publish",
               'consumerProguardFiles("consumer-rules.pro")', "bindings/kotlin", "rustJniLibs",
               "rustls:rustls-platform-verifier:"):
    if needle not in lib_build:
        problem(f"bindings/android/build.gradle.kts does not contain {needle}")
rules = open("bindings/android/consumer-rules.pro").read()
for keep in ("-keep class com.sun.jna.** { *; }", "-keep class dev.iavbridge.** { *; }",
             "org.rustls.platformverifier.**"):
    if keep not in rules:
        problem(f"consumer-rules.pro lacks {keep}")
if "includeBuild(\"../bindings/android\")" not in open("android-sample/settings.gradle.kts").read():
    problem("android-sample does not include ../bindings/android as an included build")
sample_build = open("android-sample/app/build.gradle.kts").read()
for prop in ("iavbridge.backendUrl", "iavbridge.demoUserToken"):
    if prop not in sample_build or prop not in open("android-sample/gradle.properties").read():
        problem(f"Gradle property {prop} is not defined and used")
if not app_cat["libraries"]["plaid-link-sdk"]["module"] == "com.plaid.link:sdk-core" or \
        not app_cat["versions"]["plaid-link"].startswith("6."):
    problem("android-sample does not use com.plaid.link:sdk-core 6.x")

# XML: manifests and resources parse; the startup initializer names a real class.
ANDROID = "{http://schemas.android.com/apk/res/android}"
xml_files = []
for root in ("bindings/android/src/main", "android-sample/app/src"):
    for d, _, files in os.walk(root):
        xml_files += [os.path.join(d, f) for f in files if f.endswith(".xml")]
for path in sorted(xml_files):
    try:
        ET.parse(path)
    except ET.ParseError as e:
        problem(f"{path}: {e}")
manifest = ET.parse("bindings/android/src/main/AndroidManifest.xml").getroot()
metas = [m.get(ANDROID + "name") for m in manifest.iter("meta-data") if m.get(ANDROID + "value") == "androidx.startup"]
if not metas:
    problem("the AAR manifest registers no androidx.startup initializer")
for cls in metas:
    src = "bindings/android/src/main/kotlin/" + cls.replace(".", "/") + ".kt"
    if not os.path.exists(src):
        problem(f"startup initializer {cls} has no source {src}")
nsc = ET.parse("android-sample/app/src/debug/res/xml/network_security_config.xml").getroot()
cleartext = [d.text for dc in nsc.iter("domain-config") if dc.get("cleartextTrafficPermitted") == "true" for d in dc.iter("domain")]
if cleartext != ["10.0.2.2"] or nsc.find("base-config").get("cleartextTrafficPermitted") != "false":
    problem(f"debug cleartext must be allowed to 10.0.2.2 only, is {cleartext}")
if os.path.exists("android-sample/app/src/main/res/xml/network_security_config.xml"):
    problem("a network security config in src/main would apply to release builds")

# iOS: project.yml, plists, entitlements.
for path in ("ios-sample/Resources/Info.plist", "ios-sample/Resources/IAVBridgeSample.entitlements"):
    with open(path, "rb") as f:
        plistlib.load(f)
ent = plistlib.load(open("ios-sample/Resources/IAVBridgeSample.entitlements", "rb"))
if not any(d.startswith("applinks:") for d in ent.get("com.apple.developer.associated-domains", [])):
    problem("the entitlements have no applinks: associated domain for the redirect URL")
if yaml is None:
    problem("python yaml is missing (pip install pyyaml)")
else:
    proj = yaml.safe_load(open("ios-sample/project.yml"))
    pkgs = proj.get("packages", {})
    if pkgs.get("IAVBridge", {}).get("path") != "..":
        problem("project.yml does not use the local IAVBridge package (path: ..)")
    if "plaid-link-ios-spm" not in str(pkgs.get("LinkKit", {}).get("url", "")):
        problem("project.yml does not take LinkKit from plaid-link-ios-spm")
    target = proj.get("targets", {}).get("IAVBridgeSample", {})
    deps = {(d.get("package"), d.get("product")) for d in target.get("dependencies", [])}
    if deps != {("IAVBridge", "IAVBridge"), ("LinkKit", "LinkKit")}:
        problem(f"project.yml target dependencies are {deps}")
    if not str(proj.get("options", {}).get("deploymentTarget", {}).get("iOS", "")).startswith("15"):
        problem("project.yml deployment target is not iOS 15")
    ent_yml = target.get("entitlements", {}).get("properties", {})
    if not any(str(d).startswith("applinks:") for d in ent_yml.get("com.apple.developer.associated-domains", [])):
        problem("project.yml declares no associated domain")
    for src in ("Sources/Flow/BankVerification.swift", "Sources/VerifyView.swift", "Config/Sample.xcconfig"):
        if not os.path.exists(os.path.join("ios-sample", src)):
            problem(f"ios-sample/{src} is missing")
print(f"checked {len(xml_files)} XML files, 2 version catalogs, 5 Gradle scripts, project.yml and 2 plists")
sys.exit(1 if problems else 0)
PY
}

step_docs() {
    IAV_UPDATE_SNIPPETS="${update_snippets:-0}" python3 - <<'PY'
import os, re, sys, textwrap

problems = []
def problem(msg):
    problems.append(msg)
    print("problem:", msg)

def region(path, name):
    text = open(path).read()
    m = re.search(r"^[ \t]*// region docs:" + re.escape(name) + r"[ \t]*\n(.*?)^[ \t]*// endregion docs:" + re.escape(name) + r"[ \t]*$",
                  text, re.S | re.M)
    if not m:
        return None
    return textwrap.dedent(m.group(1)).strip("\n")

update = os.environ.get("IAV_UPDATE_SNIPPETS") == "1"
count = 0
for doc, lang in (("docs/integration-android.md", "kotlin"), ("docs/integration-ios.md", "swift"),
                  ("README.md", "kotlin"), ("README.md", "swift")):
    if not os.path.exists(doc):
        problem(f"{doc} is missing")
        continue
    text = open(doc).read()
    if update:
        def refresh(m):
            found = region(m.group(1), m.group(2)) if os.path.exists(m.group(1)) else None
            if found is None:
                problem(f"{doc}: {m.group(1)} has no region docs:{m.group(2)}")
                return m.group(0)
            return f"<!-- snippet: {m.group(1)}#{m.group(2)} -->\n```{lang}\n{found}\n```"
        text = re.sub(r"<!-- snippet: ([^#\s]+)#([\w-]+) -->\s*\n```" + lang + r"\n(.*?)\n```", refresh, text, flags=re.S)
        with open(doc, "w") as f:
            f.write(text)
        print(f"updated the snippets of {doc}")
    blocks = re.findall(r"<!-- snippet: ([^#\s]+)#([\w-]+) -->\s*\n```" + lang + r"\n(.*?)\n```", text, re.S)
    if len(blocks) < 2:
        problem(f"{doc}: expected at least two {lang} snippets marked <!-- snippet: FILE#NAME -->")
    for path, name, code in blocks:
        count += 1
        if not os.path.exists(path):
            problem(f"{doc}: {path} does not exist")
            continue
        expected = region(path, name)
        if expected is None:
            problem(f"{doc}: {path} has no region docs:{name}")
        elif expected != textwrap.dedent(code).strip("\n"):
            problem(f"{doc}: the snippet {path}#{name} differs from the sample; copy the region again")
print(f"checked {count} snippets against the samples")
sys.exit(1 if problems else 0)
PY
}

if [ "$update_snippets" -eq 1 ]; then
    step_docs
    exit $?
fi

# ---------------------------------------------------------------------------------------------
results=()
passed=0
failed=0
for step in "${all_steps[@]}"; do
    selected "$step" || continue
    fn="step_${step//-/_}"
    log="$work/$step.log"
    echo "=== $step"
    start=$(date +%s)
    set +e
    ( set -euo pipefail; "$fn" ) 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    secs=$(( $(date +%s) - start ))
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        results+=("PASS  $step (${secs}s)")
    else
        failed=$((failed + 1))
        results+=("FAIL  $step (${secs}s): see $log")
    fi
done

echo
echo "=== packaging checks (what needs the NDK, Gradle or Xcode is not run here: see --help)"
printf '%s\n' "${results[@]}"
echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
