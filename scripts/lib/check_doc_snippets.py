#!/usr/bin/env python3
"""Checks that the code blocks of the integration guides and the README that are marked
<!-- snippet: FILE#NAME --> equal the region NAME of FILE in the samples (between the lines
`// region docs:NAME` and `// endregion docs:NAME`), so that the guides show code the samples
compile. With --update, copies each marked region of the samples into the documents first.

The packaging check's docs step (scripts/check-packaging.sh; --update-snippets there) runs this.
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
    args = parser.parse_args(argv)
    os.chdir(REPO)

    problems = []
    def problem(msg):
        problems.append(msg)
        print("problem:", msg)

    update = args.update
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
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
