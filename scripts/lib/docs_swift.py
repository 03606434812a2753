#!/usr/bin/env python3
"""The Swift API reference page of the docs site, from the `///` doc comments of swift/Sources.

DocC needs swift-docc-plugin, which cannot be fetched here, so scripts/docs builds this page
instead: every public type of the module (struct, class, enum, protocol, typealias, public
extension members merged into their type) with its declaration and doc comment, and each of its
public members (and an enum's cases, a protocol's requirements).

Usage: docs_swift.py SOURCES_DIR OUT_HTML
A line-based reader, not a Swift parser: it counts braces outside strings and comments, and
takes a declaration as the lines up to its body's `{` (or the end of its parentheses).
Python 3, standard library only.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

TYPE_DECL = re.compile(
    r"^(?P<mods>(?:[a-z@]+(?:\([a-z]+\))?\s+)*)(?P<kind>struct|class|enum|protocol|extension|actor)\s+"
    r"(?P<name>[A-Za-z_][\w.]*)"
)
MEMBER_DECL = re.compile(
    r"^(?P<mods>(?:[a-z@]+(?:\([a-z]+\))?\s+)*)(?P<kind>func|init\??|init|var|let|case|typealias|subscript|static|"
    r"struct|class|enum|protocol|actor)\b"
)
MEMBER_NAME = re.compile(r"\b(?:func|var|let|case|typealias|struct|class|enum|protocol|actor)\s+`?([A-Za-z_]\w*)")


@dataclass
class Item:
    kind: str
    name: str
    decl: str
    doc: list[str]
    file: str
    public: bool
    members: list[Item] = field(default_factory=list)


def strip_code(line: str) -> str:
    """The line without string literals and `//` comments, for counting braces."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    return line.split("//", 1)[0]


def parse(path: Path, root: Path) -> list[Item]:
    lines = path.read_text(encoding="utf-8").splitlines()
    items: list[Item] = []
    stack: list[Item | None] = []  # one entry per open brace: the type it opens, or None
    doc: list[str] = []
    i = 0
    rel = str(path.relative_to(root))
    while i < len(lines):
        raw = lines[i]
        text = raw.strip()
        if text.startswith("///"):
            doc.append(text[3:][1:] if text[3:].startswith(" ") else text[3:])
            i += 1
            continue
        if not text or text.startswith("//") or text.startswith("@"):
            if not text.startswith("@"):
                doc = [] if not text.startswith("//") or doc == [] else doc
            i += 1
            continue
        # The declaration: lines up to the body's brace, parentheses balanced.
        start = i
        depth_paren = strip_code(raw).count("(") - strip_code(raw).count(")")
        while depth_paren > 0 and i + 1 < len(lines) and "{" not in strip_code(lines[i]):
            i += 1
            code = strip_code(lines[i])
            depth_paren += code.count("(") - code.count(")")
        chunk = [strip_code(line) for line in lines[start : i + 1]]
        decl_lines = [line.rstrip() for line in lines[start : i + 1]]
        decl = "\n".join(decl_lines)
        decl = decl.split(" {", 1)[0].rstrip() if "{" in "".join(chunk) else decl
        parent = stack[-1] if stack else None
        in_type_body = stack and parent is not None
        item: Item | None = None
        type_match = TYPE_DECL.match(text)
        if not stack or in_type_body:
            if type_match:
                mods = type_match["mods"].split()
                public = "public" in mods or "open" in mods
                if in_type_body and parent is not None:
                    public = public or parent.kind == "protocol"
                item = Item(type_match["kind"], type_match["name"], dedent(decl), doc, rel, public)
            elif in_type_body and parent is not None:
                member = MEMBER_DECL.match(text)
                if member:
                    mods = member["mods"].split() + ([member["kind"]] if member["kind"] == "static" else [])
                    public = (
                        "public" in mods
                        or "open" in mods
                        or parent.kind == "protocol"
                        or (member["kind"] == "case" and parent.kind == "enum" and parent.public)
                    )
                    if "private" in mods or "fileprivate" in mods or "internal" in mods:
                        public = False
                    name_match = MEMBER_NAME.search(text)
                    if member["kind"].startswith("init"):
                        name = "init"
                    elif member["kind"] == "subscript":
                        name = "subscript"
                    else:
                        name = name_match[1] if name_match else text.split()[0]
                    if public:
                        parent.members.append(
                            Item(member["kind"], name, dedent(decl), doc, rel, True)
                        )
            if item is not None:
                if stack and parent is not None:
                    if item.public:
                        parent.members.append(item)
                else:
                    items.append(item)
        doc = []
        # Braces of the declaration's lines: the first opens the item's body.
        opened = False
        for code in chunk:
            for ch in code:
                if ch == "{":
                    stack.append(item if item is not None and not opened else None)
                    opened = True
                elif ch == "}" and stack:
                    stack.pop()
        i += 1
    return items


def dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] for l in lines)


def inline(text: str) -> str:
    """Doc comment text to HTML: escaped, `code` spans, [text](url) links."""
    out = []
    for n, part in enumerate(re.split(r"(`[^`]*`)", text)):
        if n % 2:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            escaped = html.escape(part)
            escaped = re.sub(
                r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', escaped
            )
            out.append(escaped)
    return "".join(out)


def doc_html(doc: list[str]) -> str:
    """Paragraphs, `- ` lists and ``` code blocks of a doc comment."""
    blocks: list[str] = []
    para: list[str] = []
    items: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if para:
            blocks.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{inline(x)}</li>" for x in items) + "</ul>")
            items.clear()

    for line in doc:
        if line.strip().startswith("```"):
            if code is None:
                flush()
                code = []
            else:
                blocks.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
                code = None
            continue
        if code is not None:
            code.append(line)
        elif not line.strip():
            flush()
        elif line.lstrip().startswith(("- ", "* ")):
            if para:
                flush()
            items.append(line.lstrip()[2:])
        elif items and line.startswith("  "):
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            para.append(line.strip())
    flush()
    return "\n".join(blocks)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def render(types: list[Item], css: str) -> str:
    nav = []
    body = []
    used: set[str] = set()

    def anchor(base: str) -> str:
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        return candidate

    for item in types:
        tid = anchor(slug(item.name))
        nav.append(f'<li><a href="#{tid}">{html.escape(item.name)}</a></li>')
        body.append(f'<section class="item" id="{tid}">')
        body.append(
            f'<h2><span class="kind">{html.escape(item.kind)}</span> {html.escape(item.name)}</h2>'
        )
        body.append(f'<pre class="decl"><code>{html.escape(item.decl)}</code></pre>')
        body.append(doc_html(item.doc))
        body.append(f'<p class="source">Source: <code>{html.escape(item.file)}</code></p>')
        for member in item.members:
            mid = anchor(f"{tid}.{slug(member.name)}")
            body.append(f'<div class="member" id="{mid}">')
            body.append(
                f'<h3><a class="self" href="#{mid}">{html.escape(member.name)}</a></h3>'
                f'<pre class="decl"><code>{html.escape(member.decl)}</code></pre>'
            )
            body.append(doc_html(member.doc))
            body.append("</div>")
        body.append("</section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SignalRRest (Swift) — signalr-rest API reference</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<header class="top"><a href="../index.html">signalr-rest API reference</a> / Swift</header>
<div class="layout">
<nav class="side"><h2>Types</h2><ul>
{chr(10).join(nav)}
</ul></nav>
<main>
<h1>Swift: module <code>SignalRRest</code></h1>
<p class="note">Generated by <code>scripts/lib/docs_swift.py</code> from the <code>///</code> doc
comments of <code>swift/Sources/SignalRRest</code> (DocC is not available on the build machines):
every public declaration, with its type's public extensions merged in.</p>
{chr(10).join(body)}
</main>
</div>
</body>
</html>
"""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    sources, out = Path(sys.argv[1]), Path(sys.argv[2])
    types: dict[str, Item] = {}
    extensions: list[Item] = []
    for path in sorted(sources.resolve().rglob("*.swift")):
        for item in parse(path, sources.resolve().parents[2]):
            if item.kind == "extension":
                extensions.append(item)
            elif item.public:
                types[item.name] = item
    for ext in extensions:
        if ext.name in types:
            types[ext.name].members.extend(ext.members)
        elif ext.members and (ext.public or ext.name.split(".")[0] != "SignalRRestBindings"):
            types[f"extension {ext.name}"] = ext
    if not types:
        print(f"docs_swift: no public declaration under {sources}", file=sys.stderr)
        return 1
    ordered = sorted(types.values(), key=lambda t: t.name.lower())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(ordered, "../site.css"), encoding="utf-8")
    members = sum(len(t.members) for t in ordered)
    print(f"docs_swift: {len(ordered)} types, {members} members -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
