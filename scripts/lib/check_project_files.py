#!/usr/bin/env python3
"""Checks the project files of the Android library, the Android sample and the iOS sample that a
Linux machine without Gradle, the Android SDK or Xcode can check: the Gradle version catalogs
parse, every libs.* reference of the .kts files exists in them, library and sample share AGP and
Kotlin, JNA >= 5.18.1 (the version the Kotlin suites run on) is taken as an AAR, minSdk 24, the
consumer R8 rules, the Gradle properties the sample uses, Plaid Link 6.x; every XML file parses,
the AAR's manifest declares no startup initializer or content provider (nothing runs at app
start), the debug network security config allows cleartext to the emulator's host only;
the iOS plists and entitlements parse, and project.yml has the packages, dependencies,
deployment target and associated domain the app needs.

The packaging check's project-files step (scripts/check-packaging.sh) runs this. Paths are
relative to the repository root, whatever the working directory. Prints "problem: ..." for each
problem and a closing line; exit status 1 when there is a problem.
"""

import argparse
import os
import plistlib
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

try:
    import yaml
except ImportError:
    yaml = None

REPO = Path(__file__).resolve().parents[2]


def catalog(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def accessor(alias):
    """A version catalog alias as Gradle's generated accessors spell it (libs.a.b.c)."""
    return alias.replace("-", ".").replace("_", ".")


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    os.chdir(REPO)

    problems = []
    def problem(msg):
        problems.append(msg)
        print("problem:", msg)

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

    # The library: JNA >= 5.18.1 as an AAR (the Kotlin suites resolve the catalog's versions
    # themselves and check at run time that they run on them), minSdk 24, coroutines,
    # no startup initializer, publication, sources.
    jna = lib_cat["versions"]["jna"]
    if tuple(int(x) for x in jna.split(".")[:3]) < (5, 18, 1):
        problem(f"JNA {jna} is older than 5.18.1 (5.17.0 crashes at launch on uniffi's async "
                "callback path, java-native-access/jna#1686; older than 5.17 on 16 KB page devices)")
    lib_build = open("bindings/android/build.gradle.kts").read()
    if not re.search(r"implementation\(libs\.jna\)\s*\{\s*artifact\s*\{\s*type\s*=\s*\"aar\"", lib_build):
        problem("JNA is not taken as an AAR (net.java.dev.jna:jna:<version>@aar)")
    if lib_cat["versions"]["minSdk"] != "24":
        problem(f"library minSdk is {lib_cat['versions']['minSdk']}, expected 24")
    if "androidx.startup" in lib_build:
        problem("bindings/android/build.gradle.kts depends on androidx.startup: nothing may run at app start")
    for needle in ("libs.kotlinx.coroutines.android", "maven-publish",
                   'consumerProguardFiles("consumer-rules.pro")', "bindings/kotlin", "rustJniLibs",
                   "rustls:rustls-platform-verifier:"):
        if needle not in lib_build:
            problem(f"bindings/android/build.gradle.kts does not contain {needle}")
    rules = open("bindings/android/consumer-rules.pro").read()
    # What JNA reaches by reflection and from native code (scripts/test-kotlin.sh's shrunk run
    # fails without any of these) and the verifier's JNI classes.
    for keep in ("-keep class com.sun.jna.** { *; }", "-keep class * extends com.sun.jna.Structure { *; }",
                 "-keep class * implements com.sun.jna.Callback { *; }",
                 "-keepclasseswithmembers class dev.iavbridge.** { native <methods>; }",
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

    # XML: manifests and resources parse; the AAR's manifest starts nothing at app start.
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
    providers = [p.get(ANDROID + "name") for p in manifest.iter("provider")]
    if providers or any(m.get(ANDROID + "value") == "androidx.startup" for m in manifest.iter("meta-data")):
        problem(f"the AAR manifest declares a content provider or startup initializer ({providers}): "
                "it would load the library on the main thread at every app start")
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
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
