"""Prints the JVM versions the AAR declares, as shell assignments, from the one place they are
kept: bindings/android/gradle/libs.versions.toml. scripts/toolchains.sh resolves exactly these
from Maven Central for the Kotlin suite, the packaging check and the benchmarks.

    KOTLIN_VERSION=2.3.0
    COROUTINES_VERSION=1.11.0
    JNA_VERSION=5.19.1
    COMPILE_SDK=36
"""

import pathlib
import re
import sys
import tomllib

CATALOG = pathlib.Path(__file__).resolve().parents[2] / "bindings/android/gradle/libs.versions.toml"
NAMES = {
    "kotlin": "KOTLIN_VERSION",
    "kotlinx-coroutines": "COROUTINES_VERSION",
    "jna": "JNA_VERSION",
    "compileSdk": "COMPILE_SDK",
}


def main() -> int:
    versions = tomllib.loads(CATALOG.read_text())["versions"]
    for key, var in NAMES.items():
        value = versions.get(key)
        if not isinstance(value, str) or not re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", value):
            print(f"{CATALOG}: [versions] {key} is missing or not a version: {value!r}", file=sys.stderr)
            return 1
        print(f"{var}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
