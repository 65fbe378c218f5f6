"""The column tables of docs/dataset.md, derived from the record kinds of every registered method.

    python -m builders.dataset.docs          rewrite the tables in docs/dataset.md
A test checks that the file holds exactly what this module derives.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from builders.methods import REGISTRY
from builders.record import Rejected, column_table

START, END = "<!-- columns: derived from builders/record.py kinds; python -m builders.dataset.docs -->", "<!-- /columns -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "dataset.md"


def kinds() -> list:
    seen = []
    for name in sorted(REGISTRY):
        for kind in REGISTRY[name].records:
            if kind not in seen:
                seen.append(kind)
    return [*seen, Rejected]


def tables() -> str:
    parts = []
    for kind in kinds():
        doc = " ".join((kind.__doc__ or "").split())
        parts.append(f"### `{kind.config}` ({kind.__name__})\n\n{doc}\n\n{column_table(kind)}\n")
    return "\n".join(parts)


def rewrite(text: str) -> str:
    block = f"{START}\n\n{tables()}\n{END}"
    if START not in text:
        return text.rstrip() + "\n\n" + block + "\n"
    return re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)


if __name__ == "__main__":
    DOC.write_text(rewrite(DOC.read_text()))
    sys.exit(0)
