"""The README's Python examples: each block marked ``<!-- example: NAME.py -->``.

``python readme_examples.py DIR`` writes them to DIR, for mypy.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w.]+\.py) -->\n```python\n(?P<code>.*?)```", re.S)


def examples(readme: Path = README) -> dict[str, str]:
    """File name to code of every marked example, in README order."""
    return {m["name"]: m["code"] for m in EXAMPLE.finditer(readme.read_text())}


def write(directory: Path) -> list[Path]:
    """Writes every example into ``directory``; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for name, code in examples().items():
        path = directory / name
        path.write_text(code)
        files.append(path)
    return files


if __name__ == "__main__":
    for path in write(Path(sys.argv[1])):
        print(path)
