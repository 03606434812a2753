#!/usr/bin/env python3
"""Every fenced code block of every Markdown file in the repository, and what tests it.

Each block needs a marker comment on the last non-blank line above its opening fence:

  <!-- example: NAME.ext -->       extracted as NAME.ext and run by the language's runner:
                                   .py pytest (python/tests/test_readme.py), .js/.mjs/.cjs
                                   node (node/test/readme-blocks.mjs), .sh bash against a
                                   simulator (scripts/lib/test-docs)
  <!-- runs in: PATH -->           the block is in PATH word for word (re-indented as a whole is
                                   allowed), and a suite compiles PATH and runs that code
  <!-- compiled in: PATH -->       the same, but the suite only compiles that code
  <!-- validated: json -->         parsed here as JSON
  <!-- validated: maven dependency -->  well-formed XML whose coordinates are kotlin/pom.xml's
  <!-- not run: REASON -->         not run, for the reason given (required, non-empty)

Usage:
  readme_blocks.py                 check every block; print the count; exit 1 naming each
                                   file:line that has no marker or fails its check
  readme_blocks.py --list          every block: file:line, info string, marker
  readme_blocks.py --extract LANG DIR
                                   write the `example:` blocks of runner LANG (sh, node,
                                   python) into DIR under their marker names
Python 3, standard library only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>[a-z ]+?)\s*:\s*(?P<value>.*?)\s*-->\s*$")
KINDS = ("example", "runs in", "compiled in", "validated", "not run")
RUNNERS = {".py": "python", ".js": "node", ".mjs": "node", ".cjs": "node", ".sh": "sh"}
# The info strings a runner's examples may carry.
LANGUAGES = {"python": {"python"}, "node": {"js", "javascript"}, "sh": {"sh", "bash", "shell"}}


@dataclass
class Block:
    path: str  # relative to ROOT
    line: int  # of the opening fence, 1-based
    info: str
    code: str
    kind: str | None
    value: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def markdown_files() -> list[str]:
    """Tracked Markdown files, and new ones not yet added (unless ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    files = {
        f for f in out
        if f and not {"node_modules", "target"} & set(Path(f).parts) and (ROOT / f).is_file()
    }
    return sorted(files)


def blocks_of(path: str) -> list[Block]:
    lines = (ROOT / path).read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines[i + 1 : j]]
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marker = MARKER.match(lines[k]) if k >= 0 else None
        kind, value = (marker["kind"], marker["value"]) if marker and marker["kind"] in KINDS else (None, "")
        found.append(Block(path, i + 1, info.split()[0] if info else "", "\n".join(body) + "\n", kind, value))
        i = j + 1
    return found


def all_blocks() -> list[Block]:
    return [b for path in markdown_files() for b in blocks_of(path)]


def contains_verbatim(source: str, code: str) -> bool:
    """Whether `code`'s lines appear consecutively in `source`, all with one added indentation."""
    want = code.rstrip("\n").split("\n")
    have = source.split("\n")
    for start, line in enumerate(have):
        if not line.endswith(want[0]) or line[: len(line) - len(want[0])].strip():
            continue
        indent = line[: len(line) - len(want[0])]
        window = have[start : start + len(want)]
        if len(window) == len(want) and all(
            h == indent + w or (not w.strip() and not h.strip()) for h, w in zip(window, want)
        ):
            return True
    return False


def pom_coordinates() -> tuple[str, str, str]:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    pom = ET.parse(ROOT / "kotlin/pom.xml").getroot()
    return tuple(pom.findtext(f"m:{k}", namespaces=ns) or "" for k in ("groupId", "artifactId", "version"))  # type: ignore[return-value]


def check(block: Block, names: dict[str, str]) -> str | None:
    """What is wrong with the block and its marker, or None."""
    if block.kind is None:
        return "no marker: put <!-- example: NAME.ext -->, <!-- runs in: PATH -->, <!-- compiled in: PATH -->, <!-- validated: json -->, or <!-- not run: REASON --> above it"
    if block.kind == "not run":
        return None if block.value.strip() else "`not run` needs a reason"
    if block.kind == "example":
        runner = RUNNERS.get(Path(block.value).suffix)
        if runner is None or not re.fullmatch(r"[\w.-]+", block.value):
            return f"example name {block.value!r}: want NAME with one of {sorted(RUNNERS)}"
        if block.info not in LANGUAGES[runner]:
            return f"a ```{block.info} block cannot be the {runner} example {block.value}"
        if block.value in names and runner != "python":
            return f"example name {block.value} is used by {names[block.value]} too"
        names[block.value] = block.where
        return None
    if block.kind in ("runs in", "compiled in"):
        target = ROOT / block.value
        if not target.is_file():
            return f"{block.value} does not exist"
        if not contains_verbatim(target.read_text(encoding="utf-8"), block.code):
            return f"the block is not in {block.value} word for word"
        return None
    if block.kind == "validated":
        if block.value == "json":
            try:
                json.loads(block.code)
            except ValueError as error:
                return f"not JSON: {error}"
            return None
        if block.value == "maven dependency":
            try:
                dep = ET.fromstring(block.code)
            except ET.ParseError as error:
                return f"not well-formed XML: {error}"
            shown = tuple(dep.findtext(k) or "" for k in ("groupId", "artifactId", "version"))
            if dep.tag != "dependency" or shown != pom_coordinates():
                return f"dependency {shown} is not kotlin/pom.xml's {pom_coordinates()}"
            return None
        return f"cannot validate {block.value!r} (json, maven dependency)"
    return f"unknown marker {block.kind!r}"


def category(block: Block) -> str:
    return {"example": "run", "runs in": "run", "compiled in": "compiled", "validated": "validated"}.get(
        block.kind or "", "not run"
    )


def main(argv: list[str]) -> int:
    blocks = all_blocks()
    if argv[:1] == ["--list"]:
        for b in blocks:
            print(f"{b.where}\t{b.info or '-'}\t{category(b) if b.kind else 'NO MARKER'}\t{b.kind or ''}: {b.value}")
        return 0
    if argv[:1] == ["--extract"] and len(argv) == 3:
        runner, directory = argv[1], Path(argv[2])
        if runner not in LANGUAGES:
            print(f"readme_blocks: unknown runner {runner!r} ({', '.join(LANGUAGES)})", file=sys.stderr)
            return 2
        directory.mkdir(parents=True, exist_ok=True)
        for b in blocks:
            if b.kind == "example" and RUNNERS.get(Path(b.value).suffix) == runner:
                (directory / b.value).write_text(b.code, encoding="utf-8")
                print(f"{b.value}\t{b.where}")
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    names: dict[str, str] = {}
    problems = [(b, p) for b in blocks if (p := check(b, names)) is not None]
    for b, problem in problems:
        print(f"{b.where}: ```{b.info} block: {problem}", file=sys.stderr, flush=True)
    bad = {id(b) for b, _ in problems}
    good = [b for b in blocks if id(b) not in bad]
    counts = {c: sum(1 for b in good if category(b) == c) for c in ("run", "compiled", "validated", "not run")}
    unmarked = sum(1 for b in blocks if b.kind is None)
    failing = f", {len(problems) - unmarked} failing their marker's check" if len(problems) > unmarked else ""
    print(
        f"README blocks: {len(blocks)} blocks, {counts['run']} run, {counts['compiled']} compiled, "
        f"{counts['validated']} validated, {counts['not run']} not run (with a reason), {unmarked} without a marker"
        + failing
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
