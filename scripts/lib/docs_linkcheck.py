#!/usr/bin/env python3
"""Checks the links of a static site: every relative link and anchor must resolve.

Usage: docs_linkcheck.py SITE_DIR [--externals FILE]
Walks every .html under SITE_DIR with the standard library's HTML parser and checks each
href/src of a, link, script, img, iframe, source and area elements:
  - a relative URL must name a file (or a folder with index.html) inside SITE_DIR;
  - a #fragment must be an id (or a's name) in the target page, as written or percent-decoded. rustdoc's source pages number
    lines with ids, so #12-30 (a line range, highlighted by script) is checked as #12.
External links (http, https, mailto ...) are not fetched: they are counted, and listed in
--externals FILE when given. Exits 1 naming each broken link as page: url (reason).
Python 3, standard library only.
"""

from __future__ import annotations

import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {"a": "href", "area": "href", "link": "href", "script": "src", "img": "src",
              "iframe": "src", "source": "src"}


EXTERNAL_SCHEMES = {"http", "https", "mailto", "ftp", "data", "javascript", "tel"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"] or "")
        attr = LINK_ATTRS.get(tag)
        if attr and values.get(attr):
            # <link rel=preconnect|dns-prefetch> names a host, not a resource to check.
            if tag == "link" and (values.get("rel") or "") in ("preconnect", "dns-prefetch"):
                return
            self.links.append(values[attr] or "")


def main() -> int:
    args = sys.argv[1:]
    externals_file = None
    if "--externals" in args:
        at = args.index("--externals")
        externals_file = Path(args[at + 1])
        del args[at : at + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    site = Path(args[0]).resolve()
    pages: dict[Path, Page] = {}
    for path in sorted(site.rglob("*.html")):
        parser = Page()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        pages[path] = parser

    def ids_of(path: Path) -> set[str]:
        if path not in pages:
            parser = Page()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            pages[path] = parser
        return pages[path].ids

    broken: list[str] = []
    externals: Counter[str] = Counter()
    checked = 0
    for path, page in list(pages.items()):
        for url in page.links:
            parts = urlsplit(url)
            if parts.scheme in EXTERNAL_SCHEMES or url.startswith("//"):
                if parts.scheme not in ("javascript", "data"):
                    externals[url] += 1
                continue
            if parts.scheme:
                # Not a URL a browser follows, e.g. an unresolved rustdoc path like super::Foo.
                broken.append(f"{path.relative_to(site)}: {url} (not a link)")
                continue
            checked += 1
            where = f"{path.relative_to(site)}: {url}"
            target = path
            if parts.path:
                target = (path.parent / unquote(parts.path)).resolve()
                if not target.is_relative_to(site):
                    broken.append(f"{where} (outside the site)")
                    continue
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    broken.append(f"{where} (no such file)")
                    continue
            fragment = unquote(parts.fragment)
            if not fragment or target.suffix != ".html":
                continue
            ids = ids_of(target)
            # Browsers try the fragment as written, then percent-decoded (rustdoc and Dokka write
            # ids with %3C and %2F in them).
            if parts.fragment in ids or fragment in ids:
                continue
            first = fragment.split("-", 1)[0]
            if first.isdigit() and first in ids:
                continue
            broken.append(f"{where} (no id '{fragment}' in {target.relative_to(site)})")

    if externals_file is not None:
        externals_file.parent.mkdir(parents=True, exist_ok=True)
        externals_file.write_text(
            "".join(f"{count}\t{url}\n" for url, count in sorted(externals.items())), encoding="utf-8"
        )
    print(
        f"docs_linkcheck: {len(pages)} pages, {checked} relative links checked, "
        f"{len(externals)} distinct external links not fetched, {len(broken)} broken"
    )
    for line in broken[:200]:
        print(f"  broken: {line}", file=sys.stderr)
    if len(broken) > 200:
        print(f"  ... and {len(broken) - 200} more", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
