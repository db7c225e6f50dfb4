#!/usr/bin/env python3
"""The public API of the bindings as text, one declaration a line, for the committed dumps under
api/ (scripts/api-dump.sh is the entry point; see its --help).

  Kotlin  bindings/kotlin/dev/iavbridge/*.kt (the generated bindings and their conveniences) and
          the Android layer, bindings/android/src/main/kotlin/**/*.kt  ->  api/iav_bridge.kt.api
  Swift   bindings/swift/Sources/IAVBridge/*.swift                    ->  api/IAVBridge.swift.api

Each line is `SCOPE: DECLARATION`: the package or module and the enclosing types, then the
declaration as written (modifiers, name, parameters with their types and defaults, return type,
supertypes), comments and bodies left out and whitespace collapsed. Recorded: classes,
interfaces, objects, structs, enums and protocols, their constructors, functions, properties,
enum entries and cases, type aliases and extension conformances, when visible outside the module
(Kotlin: not private or internal; Swift: public or open, protocol requirements, enum cases).
Left out: uniffi's FFI plumbing, which apps never call and which changes with uniffi itself:
declarations named or typed with FfiConverter*, Uniffi*/uniffi*, RustBuffer, ForeignBytes,
NoHandle or IntegrityChecking*, and Swift declarations marked @_documentation(visibility: private).
The lines are sorted, so that a moved declaration is no change.

The scanner is a small lexer (comments, strings, Kotlin string templates and Swift
interpolations) and a brace-depth walk over the declarations; it reads the code uniffi generates
and the hand-written files here, not every Kotlin or Swift program.
"""

import argparse
import difflib
import glob
import os
import re
import sys

PLUMBING = re.compile(r"^(FfiConverter|Uniffi|uniffi|RustBuffer|ForeignBytes|NoHandle|IntegrityChecking)")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

KOTLIN = {
    "name": "kotlin",
    "sources": ["bindings/kotlin/dev/iavbridge/*.kt", "bindings/android/src/main/kotlin/**/*.kt"],
    "dump": "api/iav_bridge.kt.api",
    "title": "Kotlin API of iav-bridge (bindings/kotlin/dev/iavbridge and the Android layer, "
             "bindings/android/src/main/kotlin)",
    "modifiers": {"public", "private", "internal", "protected", "open", "final", "abstract", "sealed",
                  "data", "enum", "inner", "override", "suspend", "inline", "operator", "infix",
                  "tailrec", "external", "const", "lateinit", "annotation", "companion", "value",
                  "expect", "actual"},
    "types": {"class", "interface", "object"},
    "members": {"fun", "val", "var", "constructor", "typealias"},
    "annotations": {"Throws", "JvmStatic", "JvmOverloads", "JvmField", "JvmName", "Deprecated"},
    "hidden": {"private", "internal"},
}
SWIFT = {
    "name": "swift",
    "sources": ["bindings/swift/Sources/IAVBridge/*.swift"],
    "dump": "api/IAVBridge.swift.api",
    "title": "Swift API of iav-bridge (module IAVBridge: bindings/swift/Sources/IAVBridge)",
    "modifiers": {"public", "private", "fileprivate", "internal", "open", "final", "static", "override",
                  "mutating", "nonmutating", "convenience", "required", "lazy", "weak", "unowned",
                  "dynamic", "nonisolated", "indirect", "optional", "package"},
    "types": {"class", "struct", "enum", "protocol", "extension", "actor"},
    "members": {"func", "var", "let", "init", "deinit", "subscript", "case", "typealias", "associatedtype"},
    "annotations": {"available", "MainActor", "discardableResult", "objc"},
    "hidden": {"private", "fileprivate", "internal", "package"},
}


# ------------------------------------------------------------------------------ lexing

def lex(src, lang):
    """(code, mask): src with comments blanked (newlines kept), and for each character whether it
    belongs to a string literal (templates and interpolations included)."""
    n = len(src)
    out = list(src)
    mask = [False] * n
    stack = []  # ("str", delimiter) | ("tmpl", depth) for Kotlin ${...} | ("interp", depth) for Swift \(...)
    i = 0

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        top = stack[-1] if stack else None
        c = src[i]
        if top is None or top[0] != "str":
            if stack:
                mask[i] = True
            if src.startswith("//", i):
                j = src.find("\n", i)
                j = n if j < 0 else j
                blank(i, j)
                i = j
                continue
            if src.startswith("/*", i):
                depth, j = 1, i + 2
                while j < n and depth:
                    if src.startswith("/*", j):
                        depth, j = depth + 1, j + 2
                    elif src.startswith("*/", j):
                        depth, j = depth - 1, j + 2
                    else:
                        j += 1
                blank(i, j)
                i = j
                continue
            if src.startswith('"""', i):
                stack.append(("str", '"""'))
                mask[i:i + 3] = [True] * 3
                i += 3
                continue
            if c == '"':
                stack.append(("str", '"'))
                mask[i] = True
                i += 1
                continue
            if lang == "kotlin" and c == "'":
                j = i + 1
                while j < n and src[j] != "'":
                    j += 2 if src[j] == "\\" else 1
                mask[i:j + 1] = [True] * (j + 1 - i)
                i = j + 1
                continue
            if top is not None and top[0] == "tmpl":
                if c == "{":
                    stack[-1] = ("tmpl", top[1] + 1)
                elif c == "}":
                    if top[1] == 0:
                        stack.pop()
                    else:
                        stack[-1] = ("tmpl", top[1] - 1)
            elif top is not None and top[0] == "interp":
                if c == "(":
                    stack[-1] = ("interp", top[1] + 1)
                elif c == ")":
                    if top[1] == 0:
                        stack.pop()
                    else:
                        stack[-1] = ("interp", top[1] - 1)
            i += 1
            continue
        # inside a string
        mask[i] = True
        delim = top[1]
        if c == "\\":
            if lang == "swift" and i + 1 < n and src[i + 1] == "(":
                mask[i + 1] = True
                stack.append(("interp", 0))
                i += 2
                continue
            if not (lang == "kotlin" and delim == '"""'):
                if i + 1 < n:
                    mask[i + 1] = True
                i += 2
                continue
        if lang == "kotlin" and c == "$" and i + 1 < n and src[i + 1] == "{":
            mask[i + 1] = True
            stack.append(("tmpl", 0))
            i += 2
            continue
        if src.startswith(delim, i):
            mask[i:i + len(delim)] = [True] * len(delim)
            stack.pop()
            i += len(delim)
            continue
        i += 1
    return "".join(out), mask


# ------------------------------------------------------------------------------ declarations

class Scope:
    def __init__(self, kind, path, visible, default_public=False, enum=False):
        self.kind = kind            # "file", "type", "block"
        self.path = path
        self.visible = visible      # declarations here are recorded (when visible themselves)
        self.default_public = default_public
        self.enum = enum
        self.entries_pending = enum


def top_level_cut(s, stops):
    """s up to the first of `stops` (regexes) found outside brackets and strings (s is lexed text
    without strings' special meaning: good enough for signatures)."""
    depth = 0
    i = 0
    while i < len(s):
        c = s[i]
        if c in "([<":
            # '<' only as generics: 'fun <T> f' or 'List<X>'; '->' and '<=' are not brackets
            if c != "<" or (i + 1 < len(s) and s[i + 1] not in "=-"):
                depth += 1
        elif c in ")]>":
            if c != ">" or (i > 0 and s[i - 1] not in "-="):
                depth = max(0, depth - 1)
        elif depth == 0:
            for stop in stops:
                if re.match(stop, s[i:]):
                    return s[:i].rstrip()
        i += 1
    return s


def normalize(s):
    s = s.replace("`", "")
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\(\s+", "(", s)
    s = re.sub(r"\s+\)", ")", s)
    s = re.sub(r",\s*\)", ")", s)
    s = re.sub(r"\)(async|throws|rethrows)\b", r") \1", s)
    s = re.sub(r"^(.*?\b(?:class|object)\s+\w+(?:<[^>]*>)?)\s+\(", r"\1(", s)
    s = re.sub(r"(?<![:\s])\s*(?<!:):(?!:)\s*", ": ", s)
    s = re.sub(r"\s+,", ",", s)
    return s


ANNOTATION = re.compile(r"@[\w.:]+(\((?:[^()]|\([^()]*\))*\))?")


class Walker:
    def __init__(self, lang, module):
        self.lang = lang
        self.cfg = KOTLIN if lang == "kotlin" else SWIFT
        self.scopes = [Scope("file", module, True)]
        self.pending = []       # annotations from lines of their own
        self.skip_next = False  # Swift @_documentation(visibility: private)
        self.lines = []

    # -- statements
    def split_annotations(self, stmt):
        anns = []
        while True:
            m = ANNOTATION.match(stmt)
            if not m:
                break
            anns.append(m.group(0))
            stmt = stmt[m.end():].lstrip()
        return anns, stmt

    def parse(self, stmt):
        """(annotations, modifiers, keyword, rest) of a declaration, or None."""
        anns, stmt = self.split_annotations(stmt.strip())
        anns = self.pending + anns
        words = stmt.split()
        mods = []
        k = 0
        while k < len(words):
            w = words[k]
            base = w.split("(")[0]
            if base in self.cfg["modifiers"]:
                mods.append(w)
                k += 1
                continue
            if self.lang == "swift" and w == "class" and k + 1 < len(words) and words[k + 1].split("(")[0] in ("func", "var", "let", "subscript"):
                mods.append(w)
                k += 1
                continue
            break
        if k >= len(words):
            return None
        kw = re.match(r"[A-Za-z]+", words[k])
        if not kw:
            return None
        kw = kw.group(0)
        if kw == "fun" and k + 1 < len(words) and words[k + 1] == "interface":
            kw = "interface"
        if kw not in self.cfg["types"] and kw not in self.cfg["members"]:
            return None
        rest = stmt[len(" ".join(words[:k])):].strip() if k else stmt
        return anns, mods, kw, rest

    def visible(self, mods, kw):
        scope = self.scopes[-1]
        if not scope.visible:
            return False
        base = {m.split("(")[0] for m in mods}
        if base & self.cfg["hidden"]:
            return False
        if self.lang == "kotlin":
            return True
        if "public" in base or "open" in base:
            return True
        if kw == "case" and scope.enum:
            return True
        if kw == "extension":
            return True
        return scope.default_public

    def signature(self, anns, mods, kw, rest):
        keep = [a for a in anns if a[1:].split("(")[0] in self.cfg["annotations"]]
        if self.lang == "kotlin":
            mods = [m for m in mods if m != "public"]  # the default
        if kw in ("typealias", "associatedtype"):
            body = rest
        elif kw == "constructor":
            body = top_level_cut(rest, [r":"])  # the delegation to this(...) or super(...)
        elif kw in self.cfg["types"]:
            body = top_level_cut(rest, [r"\bwhere\b"]) if self.lang == "kotlin" else rest
        else:
            body = top_level_cut(rest, [r"=(?![=>])", r"\bby\b", r"\bget\(\)", r"\bset\("])
        return normalize(" ".join(keep + mods + [body]))

    def name_of(self, kw, rest):
        m = re.match(r"(?:class|interface|object|struct|enum|protocol|extension|actor|fun\s+interface)\s+"
                     r"(?:<[^>]*>\s*)?([A-Za-z_][\w.]*)", rest)
        if m:
            return m.group(1).split(".")[-1] if kw != "extension" else m.group(1)
        if kw == "object" and rest.startswith("companion") or rest.strip() == "object":
            return "Companion"
        return None

    def plumbing(self, sig):
        return any(PLUMBING.match(t) for t in IDENT.findall(sig))

    def record(self, sig):
        scope = self.scopes[-1]
        self.lines.append(f"{scope.path}: {sig}")

    def statement(self, stmt, opens):
        """A finished statement; opens: it is the header of a { block }. Pushes the block's scope."""
        stmt = stmt.strip()
        scope = self.scopes[-1]
        if stmt.startswith("#"):  # Swift's #if/#endif: both branches are read
            stmt = re.sub(r"^#\w+(\s*\([^)]*\)|\s+[^\n]*)?", "", stmt).strip() if not opens else stmt
            if not stmt:
                return
        if not stmt:
            if opens:
                self.scopes.append(Scope("block", scope.path, False))
            return
        if re.fullmatch(r"(" + ANNOTATION.pattern + r"\s*)+", stmt):
            if "@_documentation(visibility: private)" in stmt.replace("  ", " "):
                self.skip_next = True
            self.pending += [m.group(0) for m in ANNOTATION.finditer(stmt)]
            return
        if scope.entries_pending and self.lang == "kotlin":
            scope.entries_pending = False
            if self.parse(stmt) is None:
                if scope.visible:
                    for entry in top_level_split(stmt):
                        name = re.match(r"[A-Za-z_]\w*", entry.strip().replace("`", ""))
                        if name:
                            self.record(f"entry {name.group(0)}")
                if opens:
                    self.scopes.append(Scope("block", scope.path, False))
                return
        parsed = self.parse(stmt)
        skip = self.skip_next
        self.pending, self.skip_next = [], False
        if parsed is None:
            if opens:
                self.scopes.append(Scope("block", scope.path, False))
            return
        anns, mods, kw, rest = parsed
        is_type = kw in self.cfg["types"] and not (self.lang == "kotlin" and kw == "object" and rest.startswith("object :"))
        visible = self.visible(mods, kw) and not skip
        sig = self.signature(anns, mods, kw, rest)
        if visible and self.plumbing(sig):
            visible = False
        if visible and is_type and kw == "extension" and ":" not in top_level_cut(rest, [r"\bwhere\b"]):
            pass  # an extension without conformances: only its public members count
        elif visible:
            self.record(sig)
        if opens:
            if is_type:
                name = self.name_of(kw, rest) or kw
                path = f"{scope.path}.{name}" if kw != "extension" else f"{scope.path}.{name}"
                self.scopes.append(Scope("type", path, visible,
                                         default_public=(self.lang == "swift" and kw == "protocol"),
                                         enum=("enum" in mods or kw == "enum")))
            else:
                self.scopes.append(Scope("block", scope.path, False))

    def close(self):
        if len(self.scopes) > 1:
            self.scopes.pop()


def top_level_split(s):
    parts, depth, cur = [], 0, []
    for c in s:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


CONTINUE_END = re.compile(r"(,|:|=|->|\.|\?:|&&|\|\||\+|\bwhere)$")


def walk(src, lang, module):
    code, mask = lex(src, lang)
    w = Walker(lang, module)
    buf = []
    paren = 0
    n = len(code)
    i = 0
    while i < n:
        c = code[i]
        if mask[i]:
            buf.append(c)
            i += 1
            continue
        if c in "([":
            paren += 1
        elif c in ")]":
            paren = max(0, paren - 1)
        if paren > 0:
            buf.append(c)
            i += 1
            continue
        if c == "{":
            w.statement("".join(buf), opens=True)
            buf = []
        elif c == "}":
            w.statement("".join(buf), opens=False)
            buf = []
            w.close()
        elif c == ";":
            w.statement("".join(buf), opens=False)
            buf = []
        elif c == "\n":
            s = "".join(buf).strip()
            j = i + 1
            while j < n and code[j] in " \t\r\n":
                j += 1
            nxt = code[j:j + 6]
            if s and not s.startswith("#") and not re.fullmatch(r"(" + ANNOTATION.pattern + r"\s*)+", s) and (
                    CONTINUE_END.search(s) or nxt[:1] in ("{", ":", ".", "?") or nxt.startswith("->")
                    or all(word in w.cfg["modifiers"] for word in s.split())
                    or re.match(r"(where|throws|async|rethrows)\b", nxt)):
                buf.append(" ")
            else:
                w.statement(s, opens=False)
                buf = []
        else:
            buf.append(c)
        i += 1
    w.statement("".join(buf), opens=False)
    return w.lines


def module_of(src, lang):
    if lang == "kotlin":
        m = re.search(r"(?m)^package\s+([\w.]+)", src)
        return m.group(1) if m else "<default>"
    return "IAVBridge"


def sources(root, cfg):
    files = []
    for pattern in cfg["sources"]:
        files += glob.glob(os.path.join(root, pattern), recursive=True)
    return sorted(set(files))


def dump(root, cfg):
    lines = set()
    files = sources(root, cfg)
    if not files:
        raise SystemExit(f"api-dump: no {cfg['name']} sources under {root} ({', '.join(cfg['sources'])})")
    for path in files:
        with open(path, encoding="utf-8") as f:
            src = f.read()
        # package/import lines are not declarations
        body = re.sub(r"(?m)^(package|import)\s.*$", "", src)
        lines.update(walk(body, cfg["name"], module_of(src, cfg["name"])))
    header = [
        f"# The public {cfg['title']},",
        "# one declaration a line (SCOPE: DECLARATION), sorted. Generated by `scripts/api-dump.sh --update`;",
        "# the test command compares it (`scripts/api-dump.sh --check`). A change here is a change of the",
        "# public API: it needs the matching semver step of Cargo.toml's version (docs/releasing.md).",
    ]
    return "\n".join(header + sorted(lines)) + "\n"


def classify(old, new):
    removed = [l for l in old if l not in set(new) and not l.startswith("#")]
    added = [l for l in new if l not in set(old) and not l.startswith("#")]
    return removed, added


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    parser.add_argument("--dumps", help="where the committed dumps are (default: ROOT)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--update", action="store_true")
    mode.add_argument("--print", choices=["kotlin", "swift"])
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    dumps = os.path.abspath(args.dumps or root)
    if args.print:
        sys.stdout.write(dump(root, KOTLIN if args.print == "kotlin" else SWIFT))
        return 0
    failed = 0
    for cfg in (KOTLIN, SWIFT):
        text = dump(root, cfg)
        path = os.path.join(dumps, cfg["dump"])
        count = sum(1 for l in text.splitlines() if not l.startswith("#"))
        if args.update:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"api-dump: {cfg['dump']}: {count} declarations" + (" (unchanged)" if old == text else " (written)"))
            continue
        try:
            with open(path, encoding="utf-8") as f:
                committed = f.read()
        except FileNotFoundError:
            committed = ""
        if committed == text:
            print(f"api-dump: {cfg['dump']}: {count} declarations, as committed")
            continue
        failed += 1
        old, new = committed.splitlines(), text.splitlines()
        sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in old], [l + "\n" for l in new],
                                                   fromfile=f"{cfg['dump']} (committed)",
                                                   tofile=f"{cfg['dump']} (from the sources)"))
        removed, added = classify(old, new)
        print(f"api-dump: the public {cfg['name'].capitalize()} API differs from {cfg['dump']}: "
              f"{len(removed)} declaration(s) removed or changed, {len(added)} added.")
        if removed:
            print("api-dump: removed or changed declarations break apps: the next release needs a new MAJOR "
                  "version (a new MINOR while the version is 0.x).")
        elif added:
            print("api-dump: additions only: the next release needs at least a new MINOR version "
                  "(a new PATCH while the version is 0.x).")
    if failed:
        print("api-dump: if the change is intended, run `scripts/api-dump.sh --update`, commit the dumps with "
              "it, and note it in CHANGELOG.md under [Unreleased]; the release then takes the version step "
              "semver asks for (docs/releasing.md).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
