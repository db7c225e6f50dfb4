#!/usr/bin/env python3
"""Checks, offline, that every internal link of the built documentation site resolves: each
href and src of the pages (a, link, script, img, iframe) that is not an external URL names a file
of the site, and each #anchor names an id (or a named anchor) of the page it points to.

    python3 scripts/lib/check_site_links.py SITE_DIR [--pages GLOB ...] [--skip-prefix DIR ...]

The pages checked: every .html file of SITE_DIR but those under a --skip-prefix folder (DocC's
reference, drawn by a JavaScript application from JSON, whose links are not in the HTML, and
rustdoc's, whose pages load parts of themselves by script). Dokka's anchors are its elements'
data-name attributes. Links from the checked pages into a skipped folder are still checked for the file they
name. A link to a folder resolves to its index.html. External links (http:, https:, mailto:)
are not fetched: the check is offline. Prints "problem: PAGE: ..." for each broken link and a
closing line "links: N checked, N broken"; exit status 1 when one is broken.
"""

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src", "area": "href"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if attrs.get("data-name"):
            # Dokka's anchors: its script scrolls to the element whose data-name is the fragment.
            self.ids.add(unquote(attrs["data-name"]))
        attr = LINK_ATTRS.get(tag)
        if attr and attrs.get(attr):
            self.links.append((tag, attrs[attr], self.getpos()[0]))


def parse(path, cache):
    if path not in cache:
        page = Page()
        page.feed(path.read_text(errors="replace"))
        cache[path] = page
    return cache[path]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site")
    parser.add_argument("--skip-prefix", action="append", default=[], help="a folder of SITE whose pages are not parsed")
    args = parser.parse_args(argv)
    site = Path(args.site).resolve()
    skipped = [site / p for p in args.skip_prefix]
    pages = sorted(p for p in site.rglob("*.html") if not any(p.is_relative_to(s) for s in skipped))
    if not pages:
        print(f"problem: no pages under {site}")
        return 1
    cache = {}
    checked = broken = 0
    for page_path in pages:
        page = parse(page_path, cache)
        for tag, link, line in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue  # external: not fetched
            if link.startswith("javascript:"):
                continue
            checked += 1
            where = f"{page_path.relative_to(site)}:{line}"
            if parts.path:
                target = (site / parts.path.lstrip("/")) if parts.path.startswith("/") else (page_path.parent / unquote(parts.path))
                target = target.resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_relative_to(site):
                    broken += 1
                    print(f"problem: {where}: {link} leaves the site")
                    continue
                if not target.exists():
                    broken += 1
                    print(f"problem: {where}: {link}: {target.relative_to(site)} does not exist")
                    continue
            else:
                target = page_path
            if parts.fragment and target.suffix == ".html":
                if any(target.is_relative_to(s) for s in skipped):
                    continue  # drawn by JavaScript: its anchors are not in the HTML
                anchor = unquote(parts.fragment)
                if anchor not in parse(target, cache).ids:
                    broken += 1
                    print(f"problem: {where}: {link}: no id \"{anchor}\" in {target.relative_to(site)}")
    print(f"links: {checked} checked in {len(pages)} pages, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
