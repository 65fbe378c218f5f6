"""Diversity: one example of each thing is worth more than four of the same (issue 21: 46 accepted
rows held 15 distinct calls, `50 / 2` in 4 rows from different episodes).

`duplicates` reads a partition's judged rows in order and rejects a seed row of a tool whose call
repeats an accepted row's (`duplicate_call`: same tool, arguments and result) or whose request is
near-identical to one's (`duplicate_query`); a paraphrase of a rejected seed goes with it. It runs
over the rows of one partition (a tool's episodes are ordered into one partition when they fit), not
across partitions. `report` counts, per tool, the accepted seed rows, their distinct calls, and the
share of the tool's parameters (and of each parameter's choices) that some accepted call used: the
manifest's `diversity` and the card show it.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher

from builders.methods.grounding import stated_dates, stated_numbers
from builders.methods.ste.records import Example

NEAR = 0.9  # two requests this similar (difflib ratio of their lower-cased words) say the same thing


def _plain(value):
    """Arguments compared without case and spaces: '50 / 2' is the call '50/2'."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return re.sub(r"\s+", "", value.lower()) if isinstance(value, str) else value


def call_key(ex: Example) -> str:
    """The tool, its arguments and its result (a stateful call's result differs with the state)."""
    return json.dumps([ex.action, _plain(ex.action_input), ex.observation], sort_keys=True)


def query_key(query: str) -> tuple[str, tuple]:
    """A request's lower-cased words, and the values it states (numbers, dates, names): requests with
    other values are other requests however alike their words ('12 times 5' and '12 times 6')."""
    values = tuple(sorted(stated_numbers(query), key=str)) + tuple(stated_dates(query)) + \
        tuple(sorted(re.findall(r"(?<!^)\b[A-Z][a-z]+", query)))
    return " ".join(re.findall(r"[a-z]+", query.lower())), values


def near(a: tuple[str, tuple], b: tuple[str, tuple]) -> bool:
    return a[1] == b[1] and (a[0] == b[0] or SequenceMatcher(None, a[0], b[0], autojunk=False).ratio() >= NEAR)


def duplicate(ex: Example, calls: set[str], queries: list) -> str | None:
    """Why `ex` repeats an accepted row of its tool (their calls `calls`, their requests' `query_key`s)."""
    if call_key(ex) in calls:
        return "duplicate_call"
    key = query_key(ex.query)
    return "duplicate_query" if any(near(key, q) for q in queries) else None


def seed(ex) -> bool:
    return isinstance(ex, Example) and not ex.paraphrase_of and not ex.replayed_from


def duplicates(records: list) -> list:
    """The records with later repeats of an accepted seed row (per tool) rejected, and their paraphrases."""
    calls: dict[str, set[str]] = {}
    queries: dict[str, list[str]] = {}
    dropped: dict[str, str] = {}
    out = []
    for r in records:
        if seed(r) and r.accepted:
            reason = duplicate(r, calls.setdefault(r.action, set()), queries.setdefault(r.action, []))
            if reason:
                dropped[r.id] = reason
                r = r.with_verdict([*r.reasons, reason])
            else:
                calls[r.action].add(call_key(r))
                queries[r.action].append(query_key(r.query))
        elif isinstance(r, Example) and r.paraphrase_of in dropped and r.accepted:
            r = r.with_verdict([*r.reasons, dropped[r.paraphrase_of]])
        out.append(r)
    return out


def _choices(schema: dict) -> list:
    return list(schema.get("enum", []))


def report(rows, tools) -> dict:
    """Per tool, over accepted seed rows (`ste_sft` rows read back as dicts): their number, their
    distinct calls (arguments) and its share of the rows, the parameters some call used (of the
    tool's), and for each parameter with choices the choices used (of its choices)."""
    specs = {t.name: t.parameters for t in tools}
    per: dict[str, dict] = {}
    for row in rows:
        if row.get("paraphrase_of") or row.get("replayed_from") or not row.get("action"):
            continue
        entry = per.setdefault(row["action"], {"rows": 0, "calls": set(), "params": set(), "choices": {}})
        entry["rows"] += 1
        entry["calls"].add(json.dumps(row["action_input"], sort_keys=True))
        for name, value in (row["action_input"] or {}).items():
            entry["params"].add(name)
            entry["choices"].setdefault(name, set()).add(json.dumps(value))
    out = {}
    for name, e in sorted(per.items()):
        props = specs.get(name, {}).get("properties", {})
        choices = {p: [sum(json.dumps(c) in e["choices"].get(p, set()) for c in _choices(s)), len(_choices(s))]
                   for p, s in props.items() if isinstance(s, dict) and _choices(s)}
        out[name] = {"rows": e["rows"], "distinct_calls": len(e["calls"]),
                     "distinct_share": round(len(e["calls"]) / e["rows"], 3),
                     "parameters_used": [len(e["params"] & set(props)), len(props)],
                     "choices_used": choices}
    rows_all = sum(v["rows"] for v in out.values())
    calls_all = sum(v["distinct_calls"] for v in out.values())
    return {"rows": rows_all, "distinct_calls": calls_all,
            "distinct_share": round(calls_all / rows_all, 3) if rows_all else None, "per_tool": out}
