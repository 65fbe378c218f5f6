"""The tool library: tools that produced correct answers, deduplicated by what they do.

  combine(rows, provenance, sandbox)  accepted `creator` rows → `tools` records (the method's combine
                              hook): one entry per distinct tool — first by normalised AST hash,
                              then, with a sandbox, by behaviour (behaviour.py: the same outputs on
                              probe inputs, so `def total(a, b): return a * b` and `def cost(price,
                              count): return count * price` are one entry); each entry carries its
                              tests (the problems it solved: arguments and the result the problem was
                              checked with), its provenance (run, model, problem ids), the variants
                              merged into it and a version
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

from builders.methods.creator import behaviour
from builders.methods.creator.records import LibraryTool
from builders.tools.library import load_library_tools, read_library  # noqa: F401 - the library as a toolset

MAX_QUESTIONS = 5
MAX_TESTS = 8
_PROVENANCE = ("run_hash", "recipe", "model", "model_sha256", "method", "switches")


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def tests_of(row: dict) -> list[dict]:
    """The calls a solved problem made, as tests of its tool: {problem_id, arguments, expected,
    answer}: the arguments the decision passed, the result the tool returned (recorded in the
    sandbox) and the answer that was checked against the gold."""
    calls, out = {}, []
    for message in row.get("messages") or []:
        message = _json(message) or {}
        for call in message.get("tool_calls") or []:
            calls[call.get("id")] = (call.get("function") or {}).get("arguments")
        if message.get("role") == "tool" and message.get("tool_call_id") in calls:
            try:
                expected = json.loads(message.get("content"))
            except (TypeError, json.JSONDecodeError):
                expected = message.get("content")
            out.append({"problem_id": row["problem_id"], "arguments": calls[message["tool_call_id"]],
                        "expected": expected, "answer": row.get("final_answer", "")})
    return out


class _Entry:
    """One distinct tool while the library is put together: the rows it solved, its variants."""

    def __init__(self, ast_hash: str, rows: list[dict]):
        self.rows = sorted(rows, key=lambda r: r["problem_id"])
        first = self.rows[0]   # the copy kept: the same whichever order the rows are read in
        self.ast_hash, self.code, self.function, self.spec = ast_hash, first["tool_code"], first["tool_name"], \
            first["tool_spec"]
        self.variants = [ast_hash]
        self.behaviour_hash = ""
        self.params = behaviour.parameters(self.code, self.function, self.spec)
        self.tests = [t for r in self.rows for t in tests_of(r)]

    def absorb(self, other: "_Entry") -> None:
        """Take over another tool that behaves the same: its problems, and its tests with their
        arguments renamed to this tool's parameters (the tools were compared positionally)."""
        self.rows = sorted(self.rows + other.rows, key=lambda r: r["problem_id"])
        self.variants = sorted(set(self.variants + other.variants))
        names = [n for n, _ in self.params or []]
        for test in other.tests:
            args = behaviour.positional(other.params, test["arguments"])
            if args is not None and len(args) <= len(names):
                self.tests.append(dict(test, arguments=dict(zip(names, args))))
        self.tests.sort(key=lambda t: t["problem_id"])

    def recorded_inputs(self) -> list[list]:
        found = []
        for test in self.tests:
            args = behaviour.positional(self.params, test["arguments"])
            if args is not None:
                found.append(args)
        return found


def merge_by_behaviour(entries: list[_Entry], box) -> list[_Entry]:
    """Entries whose tools give the same outputs on the same probes, merged into the most used
    (then the one that solved the first problem by id). Tools compare only within one signature (parameter types in order)."""
    by_sig: dict[tuple, list[_Entry]] = {}
    for e in entries:
        if e.params is not None:
            by_sig.setdefault(behaviour.signature(e.params), []).append(e)
    merged_away: set[str] = set()
    for sig, group in sorted(by_sig.items()):
        inputs = behaviour.probes(sig, [a for e in group for a in e.recorded_inputs()])
        if not inputs:
            continue
        by_print: dict[str, list[_Entry]] = {}
        for e in group:
            e.behaviour_hash = behaviour.fingerprint(behaviour.outputs(box, e.code, e.function, inputs)) or ""
            if e.behaviour_hash:
                by_print.setdefault(e.behaviour_hash, []).append(e)
        for same in by_print.values():
            keep = sorted(same, key=lambda e: (-len(e.rows), e.rows[0]["problem_id"], e.ast_hash))[0]
            for e in same:
                if e is not keep:
                    keep.absorb(e)
                    merged_away.add(e.ast_hash)
    return [e for e in entries if e.ast_hash not in merged_away]


def combine(rows: Iterable[dict], provenance: dict | None = None, sandbox=None) -> list[LibraryTool]:
    """One LibraryTool per distinct tool among correct, accepted rows; names made unique. With a
    sandbox, tools that behave alike on probe inputs are one entry (without one: by AST only)."""
    by_hash: dict[str, list] = {}
    for row in rows:
        if not row.get("correct") or not row.get("tool_hash") or not row.get("tool_code"):
            continue
        spec = _json(row.get("tool_spec")) or {}
        if not spec.get("description"):
            continue
        by_hash.setdefault(row["tool_hash"], []).append(dict(row, tool_spec=spec))
    entries = [_Entry(h, by_hash[h]) for h in sorted(by_hash)]
    if sandbox is not None:
        entries = merge_by_behaviour(entries, sandbox)
    taken: set[str] = set()
    out = []
    prov = {k: v for k, v in (provenance or {}).items() if k in _PROVENANCE}
    for e in sorted(entries, key=lambda e: e.ast_hash):
        h, rows_ = e.ast_hash, e.rows
        name = e.spec["name"]
        if name in taken:
            name = f"{name}_{h[:6]}"
        taken.add(name)
        out.append(LibraryTool(
            id=f"tool-{h[:16]}", group=h, **prov, accepted=True,
            name=name, function=e.function, description=e.spec["description"],
            parameters=e.spec["parameters"], code=e.code, ast_hash=h, version=h[:12],
            behaviour_hash=e.behaviour_hash, variants=e.variants, tests=e.tests[:MAX_TESTS],
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
