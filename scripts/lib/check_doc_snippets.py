#!/usr/bin/env python3
"""Checks that the code blocks of the integration guides and the README that are marked
<!-- snippet: FILE#NAME --> equal the region NAME of FILE in the samples (between the lines
`// region docs:NAME` and `// endregion docs:NAME`), so that the guides show code the samples
compile. With --update, copies each marked region of the samples into the documents first.

With --compiled FILE_OR_DIR..., also checks that every kotlin and swift block of those
documents is such a snippet of a file under one of the paths named (the files that the caller
compiles: `scripts/docs.sh --check` passes the ones it compiles), or is preceded by
<!-- not-compiled: REASON --> (a Gradle or SwiftPM manifest line, for instance; before a
snippet's own marker for a region of a file that only the platform build compiles, such as
AndroidX or SwiftUI code), so that no block of code reaches a reader without saying so.

The packaging check's docs step (scripts/check-packaging.sh; --update-snippets there) and the
documentation site's check (scripts/docs.sh --check) run this.
Paths are relative to the repository root, whatever the working directory. Prints "problem: ..."
for each problem and a closing line; exit status 1 when there is a problem.
"""

import argparse
import os
import re
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def region(path, name):
    text = open(path).read()
    m = re.search(r"^[ \t]*// region docs:" + re.escape(name) + r"[ \t]*\n(.*?)^[ \t]*// endregion docs:" + re.escape(name) + r"[ \t]*$",
                  text, re.S | re.M)
    if not m:
        return None
    return textwrap.dedent(m.group(1)).strip("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="copy the samples' regions into the documents' snippets first")
    parser.add_argument("--compiled", nargs="+", metavar="PATH", help="files and folders compiled by the caller: every block must come from one")
    args = parser.parse_args(argv)
    os.chdir(REPO)

    problems = []
    def problem(msg):
        problems.append(msg)
        print("problem:", msg)

    update = args.update
    count = 0
    compiled = [Path(p).as_posix().rstrip("/") for p in (args.compiled or [])]
    uncompiled = 0
    for doc, lang in (("docs/integration-android.md", "kotlin"), ("docs/integration-ios.md", "swift"),
                      ("docs/first-hour-android.md", "kotlin"), ("docs/first-hour-ios.md", "swift"),
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
        if compiled:
            # Every block of the language: a marked snippet of a compiled file, or a block that
            # says why it is not compiled.
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if line.strip() != "```" + lang:
                    continue
                previous = [l.strip() for l in lines[:i] if l.strip()]
                before = previous[-1] if previous else ""
                m = re.match(r"<!-- snippet: ([^#\s]+)#[\w-]+ -->$", before)
                if m:
                    if any(m.group(1) == c or m.group(1).startswith(c + "/") for c in compiled):
                        continue
                    if len(previous) > 1 and re.match(r"<!-- not-compiled: \S.* -->$", previous[-2]):
                        uncompiled += 1
                    else:
                        problem(f"{doc}:{i + 1}: the snippet comes from {m.group(1)}, which no check compiles")
                elif re.match(r"<!-- not-compiled: \S.* -->$", before):
                    uncompiled += 1
                else:
                    problem(f"{doc}:{i + 1}: a {lang} block that is neither a snippet of a compiled file nor marked <!-- not-compiled: REASON -->")
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
    print(f"checked {count} snippets against the samples" + (f" ({uncompiled} blocks marked not compiled)" if compiled else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
