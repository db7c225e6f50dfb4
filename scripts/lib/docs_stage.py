#!/usr/bin/env python3
"""Lays out the documentation site's mdBook source from the repository's own documents, so that
each page is written once, where a reader of the repository finds it too.

    python3 scripts/lib/docs_stage.py OUT_DIR

OUT_DIR receives book.toml (docs/book.toml) and src/: docs/SUMMARY.md, every page it names (the
PAGES map below: docs/*.md under their own names, README.md as overview.md, the two crates'
READMEs), and the files of docs/ that pages link to (docs/backend-openapi.yml). Each page's
relative links are rewritten for the site (a docs/ page's links into api/, the references
scripts/docs.sh builds beside the book, stay as they are): a link to another page becomes a link to its page on
the site (its anchor kept, for scripts/lib/check_site_links.py to check); a link to any other file
or folder of the repository becomes a link to it in the repository on GitHub (Cargo.toml's
`repository`). A relative link to a path that does not exist is an error, as is a page of
SUMMARY.md that is not in PAGES. Prints "problem: ..." for each and exits 1.
"""

import re
import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Site page -> repository file. Every page SUMMARY.md names must be here.
PAGES = {
    "overview.md": "README.md",
    "sample-backend.md": "sample-backend/README.md",
    "simulator.md": "dwolla-simulator/README.md",
}
for doc in sorted((REPO / "docs").glob("*.md")):
    if doc.name != "SUMMARY.md":
        PAGES[doc.name] = f"docs/{doc.name}"
# Files of the repository that are copied onto the site as they are (linked from pages).
ASSETS = {"backend-openapi.yml": "docs/backend-openapi.yml"}

# Links of docs/ pages to these site folders are the site's own (scripts/docs.sh builds them).
SITE_ONLY = ("api/",)
# [text](target) and [text](target "title"), not images' inner brackets; the target has no spaces.
LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
FENCE = re.compile(r"^(\s*)(```|~~~)")


def repository_url():
    cargo = tomllib.loads((REPO / "Cargo.toml").read_text())
    return cargo["package"]["repository"].rstrip("/")


def rewrite(page, source, text, by_source, problems):
    """The page's markdown with its relative links rewritten (code blocks left alone)."""
    base = repository_url()
    src_dir = (REPO / source).parent
    out = []
    in_fence = False
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue

        def fix(m):
            target = m.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#") or target.startswith("/"):
                return m.group(0)
            if source.startswith("docs/") and target.startswith(SITE_ONLY):
                return m.group(0)  # the API references, built beside the book: the link checker checks these
            path, _, anchor = target.partition("#")
            resolved = (src_dir / path).resolve()
            try:
                rel = resolved.relative_to(REPO).as_posix()
            except ValueError:
                problems.append(f"{source}:{number}: link {target} leaves the repository")
                return m.group(0)
            if not resolved.exists():
                problems.append(f"{source}:{number}: link {target}: {rel} does not exist")
                return m.group(0)
            suffix = f"#{anchor}" if anchor else ""
            if rel in by_source:
                return f"{m.group(1)}{by_source[rel]}{suffix}{m.group(3)}"
            kind = "tree" if resolved.is_dir() else "blob"
            return f"{m.group(1)}{base}/{kind}/main/{rel}{suffix}{m.group(3)}"

        out.append(LINK.sub(fix, line))
    return "".join(out)


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    problems = []
    if out.exists():
        shutil.rmtree(out)
    src = out / "src"
    src.mkdir(parents=True)
    shutil.copy(REPO / "docs/book.toml", out / "book.toml")
    summary = (REPO / "docs/SUMMARY.md").read_text()
    named = re.findall(r"\]\(([^)]+\.md)\)", summary)
    for name in named:
        if name not in PAGES:
            problems.append(f"docs/SUMMARY.md names {name}, which is not a page of scripts/lib/docs_stage.py")
    for name, source in PAGES.items():
        if name not in named and name != "SUMMARY.md":
            problems.append(f"{source} is not in docs/SUMMARY.md (a page nobody could reach)")
    (src / "SUMMARY.md").write_text(summary)
    by_source = {source: name for name, source in PAGES.items()}
    by_source.update({source: name for name, source in ASSETS.items()})
    for name, source in PAGES.items():
        text = (REPO / source).read_text()
        (src / name).write_text(rewrite(name, source, text, by_source, problems))
    for name, source in ASSETS.items():
        shutil.copy(REPO / source, src / name)
    for p in problems:
        print("problem:", p)
    print(f"staged {len(PAGES)} pages and {len(ASSETS)} files into {src}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
