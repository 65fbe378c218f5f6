"""Ablations: the paper's view of which stage helps, measured in the same run on the same problems.

CREATOR's claim is that separating creation from decision and rectifying from errors is what
helps. `method.ablations` lists variants of the recipe's method, each run over the same problems
with the same per-problem seeds, so a difference between two variants is the switch, not the
sample:

    no_rectification   max_rounds 0: the first execution's answer is final
    no_transfer        no tool reuse: neither a group's earlier tool nor the library
    no_grammar         free-form replies (creation, decision and rectification unconstrained)
    best_of_N          up to N candidate tools until one is right (candidates N, select correct;
                       N 1..10): rejection sampling on the gold, which never enters a prompt. With
                       `select: answer` it would change nothing in grammar mode, where every
                       decision prints an answer.

A variant's rows go to the `ablation` config (and `rejected`), each naming its `variant`; the
`creator` config and the library hold the full method's rows only. `figures` turns the rows into
the accuracy-per-category and ablation tables of the dataset card (and of docs/methods/creator.md).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

from builders.methods.creator.answers import equivalent, state

NAMED = {
    "no_rectification": {"max_rounds": 0},
    "no_transfer": {"transfer": False, "library": ""},
    "no_grammar": {"grammar": False},
}
BEST_OF = re.compile(r"^best_of_([1-9]|10)$")
PATTERN = r"^(no_rectification|no_transfer|no_grammar|best_of_([1-9]|10))$"
FULL = "full"  # the recipe's own method: the row label of the `creator` config's problems


def overrides(variant: str) -> dict:
    """The method settings a variant changes ({} for the full method)."""
    if not variant or variant == FULL:
        return {}
    if variant in NAMED:
        return dict(NAMED[variant])
    m = BEST_OF.match(variant)
    if m:
        return {"candidates": int(m.group(1)), "select": "correct"}
    raise ValueError(f"unknown ablation {variant!r}: one of {', '.join(NAMED)}, best_of_N (N 1..10)")


def ordered(variants) -> list[str]:
    """Variants in the table's order: the named ones as listed above, then best_of_N by N."""
    def key(v):
        m = BEST_OF.match(v)
        return (1, int(m.group(1)), v) if m else (0, list(NAMED).index(v) if v in NAMED else len(NAMED), v)
    return sorted(variants, key=key)


def first_try_correct(row: dict) -> bool:
    """The first tool's first execution gave the gold answer (stated as the question asks): what
    the model does before rectification, another candidate or anything else gets a say."""
    ex = next((a for a in row.get("attempts") or [] if a.get("stage") != "creation"), None)
    return bool(ex and ex.get("status") == "ok" and ex.get("answer")
                and equivalent(state(ex["answer"], row["question"]), row["gold"], question=row["question"]))


def rectified(row: dict) -> bool:
    """Rectification ran on the row's tool (its first execution raised, timed out or printed no answer)."""
    return int(row.get("rounds") or 0) > 0


def rescued(row: dict) -> bool:
    """Rectification turned a failed execution into the right answer."""
    return rectified(row) and bool(row.get("correct"))


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f} %)" if n else "—"


def summary(rows: list[dict]) -> dict:
    """One variant's figures over its rows (accepted and rejected alike)."""
    n = len(rows)
    return {
        "problems": n,
        "first_try": sum(first_try_correct(r) for r in rows),
        "correct": sum(bool(r.get("correct")) for r in rows),
        "accepted": sum(bool(r.get("accepted")) for r in rows),
        "rectified": sum(rectified(r) for r in rows),
        "rescued": sum(rescued(r) for r in rows),
        "tools_tried": sum(1 + max([a.get("candidate", 0) for a in r.get("attempts") or []] or [0]) for r in rows),
        "reused": sum(r.get("reused", "created") != "created" for r in rows),
        "completion_tokens": sum(int(r.get("completion_tokens") or 0) for r in rows),
        "llm_seconds": round(sum(float(r.get("llm_seconds") or 0) for r in rows), 1),
    }


def figures(rows: list[dict], variants: list[str]) -> dict:
    """Per variant and per category from rows that carry `variant` ('' or "full" for the method's
    own), `category`, `correct`, `accepted`, `rounds`, `attempts`, `question`, `gold`. Only
    problems every variant ran are compared (a resumed or partial run does not tilt the table)."""
    by_variant: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        by_variant[r.get("variant") or FULL][r["problem_id"]] = r
    order = [FULL, *[v for v in variants if v != FULL]]
    present = [v for v in order if by_variant.get(v)]
    common = set.intersection(*(set(by_variant[v]) for v in present)) if present else set()
    out = {"variants": {}, "categories": {}, "problems": len(common)}
    for v in present:
        chosen = [by_variant[v][p] for p in sorted(common)]
        out["variants"][v] = {"changes": overrides(v), **summary(chosen)}
        for cat in sorted({r.get("category") or "" for r in chosen}):
            out["categories"].setdefault(cat, {})[v] = summary([r for r in chosen if (r.get("category") or "") == cat])
    return out


def tables(fig: dict) -> list[dict]:
    """The two card tables: accuracy per category (first try and per variant at the end), and
    the ablations (one row a variant)."""
    variants = list(fig["variants"])
    if not variants:
        return []
    cat_rows = []
    for cat, per in fig["categories"].items():
        full = per.get(FULL) or next(iter(per.values()))
        cat_rows.append([cat or "—", str(full["problems"]), _pct(full["first_try"], full["problems"]),
                         *[_pct(per[v]["correct"], per[v]["problems"]) if v in per else "—" for v in variants],
                         f"{full['rescued']}/{full['rectified']}"])
    abl_rows = []
    for v, s in fig["variants"].items():
        change = ", ".join(f"{k}={json.dumps(x)}" for k, x in s["changes"].items()) or "as the recipe says"
        abl_rows.append([v, change, _pct(s["first_try"], s["problems"]), _pct(s["correct"], s["problems"]),
                         _pct(s["accepted"], s["problems"]), f"{s['rescued']}/{s['rectified']}",
                         f"{s['tools_tried'] / s['problems']:.2f}" if s["problems"] else "—",
                         str(s["reused"]), str(s["completion_tokens"]), f"{s['llm_seconds']:.0f}"])
    n = fig["problems"]
    return [
        {"title": f"Accuracy per category ({n} problems; each variant over the same problems and seeds)",
         "columns": ["category", "problems", "first try (full)", *[f"correct: {v}" for v in variants],
                     "rescued / rectified (full)"],
         "rows": cat_rows,
         "note": "first try: the first tool's first execution gave the gold answer; correct: the final answer, "
                 "stated as the question asks, is the gold rounded as asked; rescued / rectified: rows whose "
                 "first execution failed (an error, a timeout or no answer) that rectification turned into "
                 "the right answer, of those it ran on."},
        {"title": "Ablations (same problems, same seeds, one run)",
         "columns": ["variant", "changed", "first try", "correct", "accepted", "rescued / rectified",
                     "tools per problem", "reused", "generated tokens", "model s"],
         "rows": abl_rows,
         "note": "accepted: correct, and the row passed every check (a documented, general tool that was "
                 "called, the answer grounded in its result). Only the `full` rows are in the `creator` "
                 "config and the library; the variants' rows are in `ablation`."},
    ]
