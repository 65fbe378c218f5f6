"""The tool library: tools that produced correct answers, deduplicated by normalised AST hash.

  combine(rows, provenance)   accepted `creator` rows → `tools` records (the method's combine hook)
  read_library(path)          a library written by an earlier run: its dataset folder, its `tools`
                              config folder, or a tools Parquet file → rows
  Library(rows).retrieve(q)   the library tool that best fits a problem (BM25 over the tool's name,
                              description, parameters and the questions it solved); CREATOR's reuse
  load_library_tools(path)    the library as builders.tools.Tool objects, each tool's code written
                              to a Python file the sandbox runs, so any recipe (STE) can use them
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Iterable

from builders.methods.creator.records import LibraryTool
from builders.tools.library import load_library_tools, read_library  # noqa: F401 - the library as a toolset

MAX_QUESTIONS = 5
_PROVENANCE = ("run_hash", "recipe", "model", "model_sha256", "method", "switches")


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def combine(rows: Iterable[dict], provenance: dict | None = None) -> list[LibraryTool]:
    """One LibraryTool per distinct tool among correct, accepted rows; names made unique."""
    by_hash: dict[str, dict] = {}
    for row in rows:
        if not row.get("correct") or not row.get("tool_hash") or not row.get("tool_code"):
            continue
        spec = _json(row.get("tool_spec")) or {}
        if not spec.get("description"):
            continue
        by_hash.setdefault(row["tool_hash"], []).append(dict(row, tool_spec=spec))
    taken: set[str] = set()
    out = []
    prov = {k: v for k, v in (provenance or {}).items() if k in _PROVENANCE}
    for h in sorted(by_hash):
        rows_ = sorted(by_hash[h], key=lambda r: r["problem_id"])
        first = rows_[0]  # the copy kept: the same whichever order the rows are read in
        spec = first["tool_spec"]
        name = spec["name"]
        if name in taken:
            name = f"{name}_{h[:6]}"
        taken.add(name)
        out.append(LibraryTool(
            id=f"tool-{h[:16]}", group=h, **prov, accepted=True,
            name=name, function=first["tool_name"], description=spec["description"],
            parameters=spec["parameters"], code=first["tool_code"], ast_hash=h,
            problems=sorted({r["problem_id"] for r in rows_}),
            questions=[r["question"] for r in rows_][:MAX_QUESTIONS],
            categories=sorted({r.get("category") or "" for r in rows_} - {""}),
            uses=len(rows_), reuses=sum(r.get("reused", "created") != "created" for r in rows_)))
    return out


# ----------------------------------------------------------------------------- retrieval

_STOP = frozenset("a an and are as at be by for from how in is it its of on or that the to was what when "
                  "where which who why with does do this each one".split())


def _tokens(text: str) -> list[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [t for t in re.findall(r"[a-z]+|\d+", text.lower().replace("_", " ")) if t not in _STOP]


def _document(row: dict) -> str:
    params = _json(row.get("parameters")) or {}
    props = params.get("properties") or {}
    parts = [row["name"], row.get("function", ""), row["description"]]
    parts += [f"{k} {v.get('description', '')}" for k, v in props.items() if isinstance(v, dict)]
    parts += list(row.get("questions") or [])
    return " ".join(parts)


class Library:
    """A read library with BM25 retrieval (deterministic, nothing to download)."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.bags = [Counter(_tokens(_document(r))) for r in rows]
        self.df: Counter = Counter()
        for bag in self.bags:
            self.df.update(bag.keys())
        self.avg = (sum(sum(b.values()) for b in self.bags) / len(self.bags)) if self.bags else 1.0

    def scores(self, text: str) -> list[tuple[float, dict]]:
        terms = set(_tokens(text))
        n = len(self.rows)
        out = []
        for row, bag in zip(self.rows, self.bags):
            length = sum(bag.values()) or 1
            score = 0.0
            for t in terms & bag.keys():
                idf = math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                tf = bag[t]
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / self.avg))
            if score > 0:
                out.append((round(score, 6), row))
        out.sort(key=lambda p: (-p[0], p[1]["ast_hash"]))
        return out

    def retrieve(self, text: str, min_score: float = 0.0) -> dict | None:
        """The best-matching tool, or None when nothing scores above `min_score`."""
        best = self.scores(text)
        return best[0][1] if best and best[0][0] > min_score else None
