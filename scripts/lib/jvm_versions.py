"""Prints the JVM versions the AAR declares, as shell assignments, from the one place they are
kept: bindings/android/gradle/libs.versions.toml; and the version of Plaid Link for Android that
android-sample declares (android-sample/gradle/libs.versions.toml). scripts/toolchains.sh resolves
exactly these from Maven Central for the Kotlin suite, the packaging check and the benchmarks.

    KOTLIN_VERSION=2.3.0
    COROUTINES_VERSION=1.11.0
    JNA_VERSION=5.19.1
    COMPILE_SDK=36
    PLAID_LINK_VERSION=6.2.1
"""

import pathlib
import re
import sys
import tomllib

REPO = pathlib.Path(__file__).resolve().parents[2]
# (catalog, {version key: shell variable})
CATALOGS = [
    (REPO / "bindings/android/gradle/libs.versions.toml", {
        "kotlin": "KOTLIN_VERSION",
        "kotlinx-coroutines": "COROUTINES_VERSION",
        "jna": "JNA_VERSION",
        "compileSdk": "COMPILE_SDK",
    }),
    (REPO / "android-sample/gradle/libs.versions.toml", {
        "plaid-link": "PLAID_LINK_VERSION",
    }),
]


def main() -> int:
    for catalog, names in CATALOGS:
        versions = tomllib.loads(catalog.read_text())["versions"]
        for key, var in names.items():
            value = versions.get(key)
            if not isinstance(value, str) or not re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", value):
                print(f"{catalog}: [versions] {key} is missing or not a version: {value!r}", file=sys.stderr)
                return 1
            print(f"{var}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
