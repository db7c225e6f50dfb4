#!/usr/bin/env python3
"""Checks the benchmark figures quoted in the documentation against docs/benchmarks.json, the one
record of them: each of its "quotes" (a text with {section.key} placeholders filled from the
record) must appear in its file, and no page may quote a figure of one of its "units" (for
example "874 flows/s") that the record does not hold, so that two pages cannot give two figures
for one benchmark. The pages: docs/*.md, README.md and the crates' and samples' READMEs.
Prints "problem: ..." for each and a closing line; exit status 1 when there is a problem.
"""

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted((REPO / "docs").glob("*.md")) + [REPO / p for p in (
    "README.md", "sample-backend/README.md", "dwolla-simulator/README.md", "android-sample/README.md",
    "ios-sample/README.md", "bindings/android/README.md") if (REPO / p).exists()]


def main():
    record = json.loads((REPO / "docs/benchmarks.json").read_text())
    problems = []

    def value(ref):
        section, key = ref.split(".")
        return str(record[section][key])

    for quote in record["quotes"]:
        text = re.sub(r"\{(\w+\.\w+)\}", lambda m: value(m.group(1)), quote["text"])
        if text not in (REPO / quote["file"]).read_text():
            problems.append(f"{quote['file']} does not say {text!r} (docs/benchmarks.json)")
    known = {str(v) for section in record.values() if isinstance(section, dict) for v in section.values()}
    figures = 0
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for unit in record["units"]:
                for m in re.finditer(r"(\d[\d,]*(?:\.\d+)?)\**\s+" + re.escape(unit), line):
                    figures += 1
                    if m.group(1) not in known:
                        problems.append(f"{page.relative_to(REPO)}:{number}: {m.group(1)} {unit} is not in docs/benchmarks.json")
    for p in problems:
        print("problem:", p)
    print(f"figures: {len(record['quotes'])} quotes and {figures} figures checked against docs/benchmarks.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
