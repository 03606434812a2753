#!/usr/bin/env python3
"""The docs site's own pages: the repository's Markdown rendered, the index and the stylesheet.

Usage: docs_site.py SITE_DIR
Run by scripts/docs after the per-language references are in SITE_DIR (rust/, python/, node/,
kotlin/, swift/). Renders README.md, docs/*.md and each package's README.md into
SITE_DIR/guide/ (same paths, .md -> .html) with markdown2 (pdoc's dependency, so it runs with the
docs venv's Python); a link to another rendered file becomes a link to its page, a link to any
other file of the repository one to the repository's web address (REPO_URL, from
kotlin/pom.xml's <url>). Headings get GitHub's anchors, so README links like #401-unauthorized
resolve. Writes SITE_DIR/index.html and SITE_DIR/site.css.
"""

from __future__ import annotations

import html
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import markdown2

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_READMES = ["python/README.md", "node/README.md", "kotlin/README.md", "swift/README.md"]

CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff; --muted: #59636e; --line: #d1d9e0;
  --accent: #0969da; --code: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #3d444d; --accent: #4493f8; --code: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: var(--code); padding: 0.8em 1em; overflow-x: auto; border-radius: 6px; }
:not(pre) > code { background: var(--code); padding: 0.1em 0.35em; border-radius: 4px; }
header.top { padding: 0.7em 1.5em; border-bottom: 1px solid var(--line); font-weight: 600; }
main { max-width: 960px; padding: 1em 2em 3em; margin: 0 auto; }
.layout { display: flex; } .layout main { margin: 0; flex: 1; min-width: 0; }
nav.side { width: 240px; flex: none; padding: 1em 1.2em; border-right: 1px solid var(--line);
  position: sticky; top: 0; max-height: 100vh; overflow-y: auto; font-size: 0.92em; }
nav.side ul { list-style: none; padding: 0; margin: 0; } nav.side li { margin: 0.2em 0; }
nav.side h2 { font-size: 1em; }
table { border-collapse: collapse; } th, td { border: 1px solid var(--line); padding: 0.3em 0.6em; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1em; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1em 1.2em; }
.card h3 { margin: 0 0 0.3em; } .card p { margin: 0.3em 0; color: var(--muted); font-size: 0.95em; }
.note, .source { color: var(--muted); font-size: 0.9em; }
section.item { border-top: 1px solid var(--line); margin-top: 2em; }
.kind { color: var(--muted); font-weight: normal; font-size: 0.8em; }
.member { margin: 1em 0 1.5em 1em; } .member h3 { margin-bottom: 0.2em; font-size: 1.05em; }
pre.decl { margin: 0.4em 0; }
"""

REFERENCES = [
    ("rust/signalr_rest/index.html", "Rust", "crate <code>signalr-rest</code>",
     "rustdoc of the core: the REST client, the simulator, upstream parsing, errors."),
    ("python/signalr_rest.html", "Python", "package <code>signalr_rest</code>",
     "pdoc from the docstrings: ServiceClient, <code>aio</code>, Simulator, <code>upstream</code>, "
     "<code>errors</code>, the pytest plugin."),
    ("node/index.html", "Node.js", "package <code>signalr-rest</code>",
     "TypeDoc from the TypeScript declarations (<code>node/index.d.ts</code>)."),
    ("kotlin/index.html", "Kotlin", "<code>dev.signalrrest:signalr-rest</code>",
     "Dokka from the KDoc of <code>kotlin/src/main/kotlin</code>."),
    ("swift/index.html", "Swift", "module <code>SignalRRest</code>",
     "A page generated from the <code>///</code> doc comments of <code>swift/Sources</code>."),
]


def repo_url() -> str:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    url = ET.parse(ROOT / "kotlin/pom.xml").getroot().findtext("m:url", namespaces=ns)
    return (url or "").rstrip("/")


def github_slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", html.unescape(text)).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def page(title: str, css: str, home: str, body: str, crumb: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{css.replace('site.css', 'pygments.css')}">
</head>
<body>
<header class="top"><a href="{home}">signalr-rest API reference</a>{crumb}</header>
<main>
{body}
</main>
</body>
</html>
"""


def render_markdown(sources: list[str], site: Path) -> list[tuple[str, str]]:
    """Renders each source into site/guide/; returns (site path, title) of each."""
    rendered = set(sources)
    base = repo_url()
    done = []
    for source in sources:
        text = (ROOT / source).read_text(encoding="utf-8")
        out_rel = "guide/" + source[:-3] + ".html"
        depth = out_rel.count("/")
        up = "../" * depth

        def link(match: re.Match[str]) -> str:
            attr, target = match[1], html.unescape(match[2])
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                return match[0]
            path, _, anchor = target.partition("#")
            resolved = (ROOT / source).parent.joinpath(unquote(path)).resolve()
            try:
                rel = resolved.relative_to(ROOT).as_posix()
            except ValueError:
                return match[0]
            if rel in rendered:
                new = up + "guide/" + rel[:-3] + ".html"
            else:
                kind = "tree" if resolved.is_dir() else "blob"
                new = f"{base}/{kind}/main/{rel}"
            if anchor:
                new += "#" + anchor
            return f'{attr}="{html.escape(new)}"'

        body = markdown2.markdown(
            text,
            extras={"fenced-code-blocks": None, "tables": None, "cuddled-lists": None,
                    "strike": None, "task_list": None},
        )
        body = re.sub(r'(href|src)="([^"]*)"', link, body)
        seen: dict[str, int] = {}

        def heading(match: re.Match[str]) -> str:
            slug = github_slug(match[3])
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchor = slug if n == 0 else f"{slug}-{n}"
            return f'<h{match[1]}{match[2]} id="{anchor}">{match[3]}</h{match[1]}>'

        body = re.sub(r"<h([1-6])([^>]*)>(.*?)</h\1>", heading, body, flags=re.S)
        title_match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
        title = re.sub(r"<[^>]+>", "", title_match[1]).strip() if title_match else source
        note = f'<p class="note">Rendered from <code>{html.escape(source)}</code>.</p>'
        target = site / out_rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            page(f"{title} — signalr-rest", up + "site.css", up + "index.html", note + body,
                 f" / {html.escape(source)}"),
            encoding="utf-8",
        )
        done.append((out_rel, title))
    return done


def tracing_version() -> str:
    lock = (ROOT / "Cargo.lock").read_text(encoding="utf-8")
    found = re.search(r'name = "tracing"\nversion = "([^"]+)"', lock)
    return found[1] if found else "latest"


def fix_rustdoc(rust: Path) -> None:
    """Two things rustdoc leaves dangling in a --no-deps build of this crate:
    - the docs of tracing's blanket Instrument and WithSubscriber impls (shown on every type) carry
      tracing's own relative links (`dispatcher#...`, `super::Subscriber`, `crate::Span`,
      `super::Span::current()`): pointed at tracing's docs.rs pages;
    - a trait's page loads trait.impl/.../trait.X.js, written only when a documented crate
      implements it: an empty one stands in for a trait nothing here implements.
    """
    docs = f"https://docs.rs/tracing/{tracing_version()}/tracing"
    replacements = {
        'href="dispatcher#setting-the-default-subscriber"':
            f'href="{docs}/dispatcher/index.html#setting-the-default-subscriber"',
        'href="super::Subscriber"': f'href="{docs}/trait.Subscriber.html"',
        'href="crate::Span"': f'href="{docs}/struct.Span.html"',
        'href="super::Span::current()"': f'href="{docs}/struct.Span.html#method.current"',
    }
    for path in rust.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        new = text
        for old, replacement in replacements.items():
            new = new.replace(old, replacement)
        if new != text:
            path.write_text(new, encoding="utf-8")
        for src in re.findall(r'<script src="([^"]*(?:trait|type)\.impl/[^"]*\.js)"', new):
            script = (path.parent / src).resolve()
            if not script.exists():
                script.parent.mkdir(parents=True, exist_ok=True)
                script.write_text("// No implementors in the documented crate.\n", encoding="utf-8")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    site = Path(sys.argv[1])
    missing = [ref for ref, *_ in REFERENCES if not (site / ref).is_file()]
    if missing:
        print(f"docs_site: missing reference pages: {', '.join(missing)}", file=sys.stderr)
        return 1
    fix_rustdoc(site / "rust")
    (site / "site.css").write_text(CSS.lstrip(), encoding="utf-8")
    from pygments.formatters import HtmlFormatter

    (site / "pygments.css").write_text(HtmlFormatter().get_style_defs(".codehilite"), encoding="utf-8")
    sources = ["README.md"]
    sources += sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
    sources += [p for p in PACKAGE_READMES if (ROOT / p).is_file()]
    guides = render_markdown(sources, site)

    cards = "\n".join(
        f'<div class="card"><h3><a href="{ref}">{lang}</a></h3><p>{what}</p><p>{how}</p></div>'
        for ref, lang, what, how in REFERENCES
    )
    guide_items = "\n".join(
        f'<li><a href="{ref}">{html.escape(title)}</a> <span class="note">({html.escape(src)})</span></li>'
        for (ref, title), src in zip(guides, sources)
    )
    body = f"""<h1>signalr-rest API reference</h1>
<p>Azure SignalR Service data-plane REST API client and local simulator, on a Rust core, with
bindings for Python, Node.js, Kotlin and Swift. Each reference below is generated from the code's
own doc comments by <code>scripts/docs</code>.</p>
<h2 id="references">API reference</h2>
<div class="cards">
{cards}
</div>
<h2 id="guides">Guides</h2>
<ul>
{guide_items}
</ul>
"""
    (site / "index.html").write_text(
        page("signalr-rest API reference", "site.css", "index.html", body, ""), encoding="utf-8"
    )
    print(f"docs_site: index.html and {len(guides)} guide pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
