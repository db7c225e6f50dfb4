#!/usr/bin/env python3
"""One version for the whole release: the crate version in Cargo.toml is the source, and every
other place that names the version follows it. scripts/release.sh is the entry point; see its
--help for the commands.

The places, each with what it must say for version V (R: Cargo.toml's `repository`):

  Cargo.toml                        [package] version = "V" (the source), repository = R on GitHub
  Cargo.lock                        the iav-bridge package entry at version V
  bindings/android/build.gradle.kts the AAR's version read from Cargo.toml (crateVersion), no literal
  Package.swift                     let releaseURL = "R/releases/download/vV/IAVBridgeFFI.xcframework.zip";
                                    a `.release(url:checksum:)` binary source uses that same URL
  README.md, docs/*.md              every "GROUP:ARTIFACT:x.y.z" dependency line says V (GROUP and
                                    ARTIFACT from build.gradle.kts), every `.package(url: "...iav-bridge...",
                                    from: "x.y.z")` names R and V; docs/integration-android.md and
                                    docs/integration-ios.md each hold one
  CHANGELOG.md                      the newest released section is "## [V] - YYYY-MM-DD"

Exit status: 0 when everything follows, 1 when a place differs (each named on its own line),
2 for wrong arguments.
"""

import argparse
import datetime
import glob
import os
import re
import sys
import tomllib

VERSION_RE = r"[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
                    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?$")
ZIP_NAME = "IAVBridgeFFI.xcframework.zip"
GUIDES = ("docs/integration-android.md", "docs/integration-ios.md")


class Problem(Exception):
    """A file that does not follow the version, or cannot be read as expected."""


def read(root, path):
    try:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise Problem(f"{path}: missing") from None


def write(root, path, text):
    with open(os.path.join(root, path), "w", encoding="utf-8") as f:
        f.write(text)


# ------------------------------------------------------------------------------ the source

def package_section(text):
    """The [package] table of Cargo.toml as (start, end) offsets of its body."""
    m = re.search(r"(?m)^\[package\][ \t]*\n", text)
    if not m:
        raise Problem("Cargo.toml: no [package] table")
    nxt = re.search(r"(?m)^\[", text[m.end():])
    return m.end(), m.end() + nxt.start() if nxt else len(text)


def crate(root):
    """(version, repository URL) of the iav-bridge crate."""
    try:
        pkg = tomllib.loads(read(root, "Cargo.toml"))["package"]
    except (tomllib.TOMLDecodeError, KeyError) as e:
        raise Problem(f"Cargo.toml: cannot read [package]: {e}") from None
    version, repo = pkg.get("version"), pkg.get("repository")
    if not isinstance(version, str) or not SEMVER.match(version):
        raise Problem(f"Cargo.toml: [package] version {version!r} is not a semantic version")
    if not isinstance(repo, str) or not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo):
        raise Problem(f"Cargo.toml: [package] repository {repo!r} is not https://github.com/OWNER/NAME "
                      "(the release workflow publishes the XCFramework as a GitHub release asset)")
    return version, repo


def release_url(repo, version):
    return f"{repo}/releases/download/v{version}/{ZIP_NAME}"


def coordinates(root):
    """(group, artifact) of the AAR, as bindings/android/build.gradle.kts publishes it."""
    kts = read(root, "bindings/android/build.gradle.kts")
    m = re.search(r'coordinates\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*crateVersion\s*\)', kts)
    if not m:
        raise Problem('bindings/android/build.gradle.kts: no coordinates("GROUP", "ARTIFACT", crateVersion) '
                      "in mavenPublishing (the AAR's version must be read from Cargo.toml)")
    return m.group(1), m.group(2)


def doc_files(root):
    files = ["README.md"] + sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "docs", "*.md")))
    return [f for f in files if os.path.exists(os.path.join(root, f))]


# ------------------------------------------------------------------------------ each place: check, set

def check_cargo_lock(root, version, repo):
    lock = read(root, "Cargo.lock")
    m = re.search(r'(?m)^name = "iav-bridge"\nversion = "([^"]+)"', lock)
    if not m:
        return ["Cargo.lock: no iav-bridge package entry"]
    return [] if m.group(1) == version else [f'Cargo.lock: iav-bridge is at {m.group(1)}, Cargo.toml says {version} (run cargo build, or scripts/release.sh {version})']


def set_cargo_lock(root, version, repo):
    lock = read(root, "Cargo.lock")
    new = re.sub(r'(?m)^(name = "iav-bridge"\nversion = ")[^"]+(")', rf"\g<1>{version}\2", lock)
    write(root, "Cargo.lock", new)


def check_gradle(root, version, repo):
    kts = read(root, "bindings/android/build.gradle.kts")
    problems = []
    coordinates(root)
    if not re.search(r'(?m)^version = crateVersion\s*$', kts):
        problems.append("bindings/android/build.gradle.kts: the project's version is not `version = crateVersion`")
    literal = re.search(r'(?m)^\s*version\s*=\s*"(' + VERSION_RE + ')"', kts)
    if literal:
        problems.append(f"bindings/android/build.gradle.kts: a literal version \"{literal.group(1)}\"; read it from Cargo.toml")
    return problems


def check_package_swift(root, version, repo):
    text = read(root, "Package.swift")
    want = release_url(repo, version)
    problems = []
    m = re.search(r'(?m)^let releaseURL = "([^"]*)"', text)
    if not m:
        problems.append('Package.swift: no `let releaseURL = "..."` line')
    elif m.group(1) != want:
        problems.append(f"Package.swift: releaseURL is {m.group(1)}, expected {want}")
    src = re.search(r'(?m)^let binarySource: BinarySource = (.*)$', text)
    if not src:
        problems.append("Package.swift: no `let binarySource: BinarySource = ...` line")
    else:
        rel = re.match(r'\.release\(url: "([^"]*)"', src.group(1))
        if rel and rel.group(1) != want:
            problems.append(f"Package.swift: binarySource is .release(url: {rel.group(1)}), expected {want}")
    return problems


def set_package_swift(root, version, repo):
    text = read(root, "Package.swift")
    new, n = re.subn(r'(?m)^let releaseURL = "[^"]*"', f'let releaseURL = "{release_url(repo, version)}"', text)
    if n != 1:
        raise Problem('Package.swift: no `let releaseURL = "..."` line to set')
    write(root, "Package.swift", new)


def gradle_pattern(root):
    group, artifact = coordinates(root)
    return re.compile(re.escape(f"{group}:{artifact}:") + "(" + VERSION_RE + r")(?![0-9A-Za-z.+-])")


SPM_PATTERN = re.compile(r'\.package\(\s*url:\s*"([^"]*iav-bridge[^"]*)"\s*,\s*from:\s*"(' + VERSION_RE + r')"\s*\)')


def check_docs(root, version, repo):
    problems = []
    gradle = gradle_pattern(root)
    found = {}
    for path in doc_files(root):
        text = read(root, path)
        for m in gradle.finditer(text):
            found.setdefault(path, set()).add("gradle")
            if m.group(1) != version:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{path}:{line}: {m.group(0)} says {m.group(1)}, Cargo.toml says {version}")
        for m in SPM_PATTERN.finditer(text):
            found.setdefault(path, set()).add("spm")
            line = text.count("\n", 0, m.start()) + 1
            if m.group(1) != repo:
                problems.append(f"{path}:{line}: the package URL {m.group(1)} is not the repository {repo}")
            if m.group(2) != version:
                problems.append(f"{path}:{line}: .package(from: \"{m.group(2)}\") says {m.group(2)}, Cargo.toml says {version}")
    group, artifact = coordinates(root)
    if "gradle" not in found.get(GUIDES[0], set()):
        problems.append(f'{GUIDES[0]}: no dependency line "{group}:{artifact}:VERSION"')
    if "spm" not in found.get(GUIDES[1], set()):
        problems.append(f'{GUIDES[1]}: no `.package(url: "{repo}", from: "VERSION")` line')
    return problems


def set_docs(root, version, repo):
    gradle = gradle_pattern(root)
    for path in doc_files(root):
        text = read(root, path)
        new = gradle.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + version, text)
        new = SPM_PATTERN.sub(lambda m: f'.package(url: "{repo}", from: "{version}")', new)
        if new != text:
            write(root, path, new)


CHANGELOG_HEADING = re.compile(r"(?m)^## \[([^\]]+)\](.*)$")


def changelog_sections(text):
    """[(name, rest of the heading line, body start, body end)] in file order."""
    heads = list(CHANGELOG_HEADING.finditer(text))
    out = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out.append((h.group(1), h.group(2), h.end(), end, h.start()))
    return out


def latest_release(text):
    for name, rest, start, end, _ in changelog_sections(text):
        if name.lower() != "unreleased":
            return name, rest, start, end
    return None


def check_changelog(root, version, repo):
    text = read(root, "CHANGELOG.md")
    latest = latest_release(text)
    if latest is None:
        return ["CHANGELOG.md: no released section (## [x.y.z] - YYYY-MM-DD)"]
    name, rest, _, _ = latest
    problems = []
    if name != version:
        problems.append(f"CHANGELOG.md: the newest released section is [{name}], Cargo.toml says {version}")
    if not re.fullmatch(r" - [0-9]{4}-[0-9]{2}-[0-9]{2}", rest):
        problems.append(f"CHANGELOG.md: the heading of [{name}] has no date (## [{name}] - YYYY-MM-DD)")
    return problems


def set_changelog(root, version, repo, today):
    text = read(root, "CHANGELOG.md")
    latest = latest_release(text)
    if latest is not None and latest[0] == version:
        return
    sections = changelog_sections(text)
    unreleased = next((s for s in sections if s[0].lower() == "unreleased"), None)
    if unreleased is None or not unreleased[2] < unreleased[3] or not text[unreleased[2]:unreleased[3]].strip():
        raise Problem(f"CHANGELOG.md: nothing under ## [Unreleased] to release as {version}: "
                      "write down what changed there first")
    _, _, start, end, head = unreleased
    new = (text[:head] + "## [Unreleased]\n\n" + f"## [{version}] - {today}" + text[start:])
    write(root, "CHANGELOG.md", new)


def set_cargo_toml(root, version):
    text = read(root, "Cargo.toml")
    start, end = package_section(text)
    body, n = re.subn(r'(?m)^version = "[^"]*"', f'version = "{version}"', text[start:end], count=1)
    if n != 1:
        raise Problem('Cargo.toml: no version = "..." line in [package]')
    write(root, "Cargo.toml", text[:start] + body + text[end:])


CHECKS = [check_cargo_lock, check_gradle, check_package_swift, check_docs, check_changelog]


def check(root, tag=None):
    try:
        version, repo = crate(root)
    except Problem as e:
        return None, [str(e)]
    problems = []
    for fn in CHECKS:
        try:
            problems += fn(root, version, repo)
        except Problem as e:
            problems.append(str(e))
    if tag is not None and tag != f"v{version}":
        problems.append(f"the tag {tag} is not v{version} (Cargo.toml's version)")
    return version, problems


def notes(root, version):
    text = read(root, "CHANGELOG.md")
    for name, _, start, end, _ in changelog_sections(text):
        if name == version:
            body = text[start:end].strip()
            if not body:
                raise Problem(f"CHANGELOG.md: the section [{version}] is empty")
            return body
    raise Problem(f"CHANGELOG.md: no section [{version}]")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/release.sh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."),
                        help=argparse.SUPPRESS)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--set", metavar="VERSION")
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--notes", nargs="?", const="", metavar="VERSION")
    mode.add_argument("--xcframework-url", action="store_true")
    mode.add_argument("--version", action="store_true")
    parser.add_argument("--tag")
    parser.add_argument("--date", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        if args.set is not None:
            if not SEMVER.match(args.set):
                print(f"release: {args.set!r} is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE])", file=sys.stderr)
                return 2
            old, repo = crate(root)
            today = args.date or datetime.date.today().isoformat()
            # CHANGELOG.md first: it is the one that can refuse, and then nothing has changed.
            set_changelog(root, args.set, repo, today)
            set_cargo_toml(root, args.set)
            set_cargo_lock(root, args.set, repo)
            set_package_swift(root, args.set, repo)
            set_docs(root, args.set, repo)
            print(f"release: {old} -> {args.set}")
            _, problems = check(root)
            for p in problems:
                print(f"release: still differs: {p}", file=sys.stderr)
            return 1 if problems else 0
        if args.check:
            version, problems = check(root, args.tag)
            for p in problems:
                print(f"release: {p}", file=sys.stderr)
            if problems and version is None:
                return 1
            if problems:
                print(f"release: {len(problems)} problem(s) with Cargo.toml's version "
                      f"{version}; scripts/release.sh {version} sets them", file=sys.stderr)
                return 1
            print(f"release: every place says {version}")
            return 0
        version, repo = crate(root)
        if args.notes is not None:
            print(notes(root, args.notes or version))
        elif args.xcframework_url:
            print(release_url(repo, version))
        elif args.version:
            print(version)
        return 0
    except Problem as e:
        print(f"release: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
