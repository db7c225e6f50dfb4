#!/usr/bin/env python3
"""Checks the Swift package's manifest as `swift package dump-package` prints it, both as Linux
evaluates Package.swift (the FFI module a system library over the host build of the core) and as
a Mac does (the FFI module a binary target, the XCFramework): the library product IAVBridge, the
platforms iOS 15 and macOS 12, the generated module's path and its Swift 5 language mode.

The packaging check's swift step (scripts/check-packaging.sh) writes both JSON files and runs
this. Prints one line per manifest and one per problem; exit status 1 when there is a problem.
"""

import argparse
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("linux", help="dump-package JSON of Package.swift as Linux evaluates it")
    parser.add_argument("darwin", help="dump-package JSON of Package.swift as a Mac evaluates it")
    args = parser.parse_args(argv)

    problems = []
    for label, path, ffi_type in (("linux", args.linux, "system"), ("darwin", args.darwin, "binary")):
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
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
