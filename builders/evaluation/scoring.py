"""One item's verdict and the figures over many.

well-formed   the reply could be read: calls in a shape replies.py knows, or plain text for an item
              whose right answer is no call
tool match    the same tools as the gold calls, as many times each, in any order
argument match  every gold call matched by one call under BFCL's rules (matching.py), in any order
execution match where every gold call's tool is executable here (a toolmint tool without state):
              the gold calls and the model's run in the sandbox give the same results, in any order;
              None (not counted) elsewhere — BFCL's functions have no implementation
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from builders.evaluation import replies
from builders.evaluation.gold import GoldItem
from builders.evaluation.matching import match_calls, same, tools_match


@dataclass
class Verdict:
    id: str
    category: str
    request: str
    reply: str
    calls: list = field(default_factory=list)
    gold: list = field(default_factory=list)
    well_formed: bool = False
    tool_match: bool = False
    argument_match: bool = False
    execution_match: bool | None = None
    failure: str = ""           # matching.FAILURES, or "" when the arguments matched
    demonstrations: list = field(default_factory=list)  # the ids of the ste_icl rows shown
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str = ""

    def row(self) -> dict:
        """For Parquet: nested values as JSON text (their shapes differ between items)."""
        out = asdict(self)
        for key in ("calls", "gold"):
            out[key] = json.dumps(out[key], ensure_ascii=False)
        return out


def score(item: GoldItem, text: str, execute=None) -> Verdict:
    """The verdict on the reply `text`; `execute(calls) -> list of results or None` runs calls in the
    sandbox (None: a call could not run or a tool is not executable)."""
    found = replies.calls(text)
    specs = {t["name"]: t for t in item.tools}
    v = Verdict(id=item.id, category=item.category, request=item.request, reply=text, calls=found or [],
                gold=item.answers)
    if found is None:
        v.failure = "malformed"
        return v
    v.well_formed = bool(found) or not item.answers
    v.tool_match = tools_match(found, item.answers)
    v.failure = match_calls(found, item.answers, specs) or ""
    v.argument_match = not v.failure
    if execute is not None and item.calls:
        expected = execute(item.calls)
        if expected is not None:
            got = execute(found) if found else []
            v.execution_match = got is not None and results_match(got, expected)
    return v


def results_match(got: list, expected: list) -> bool:
    """The same results, in any order."""
    if len(got) != len(expected):
        return False
    left = list(expected)
    for g in got:
        i = next((i for i, e in enumerate(left) if same(g, e)), None)
        if i is None:
            return False
        left.pop(i)
    return True


def sandbox_executor(tools: dict, sandbox):
    """`execute(calls)` over toolmint tools (name → Tool): each call's value in the sandbox, or None
    when a tool is unknown here, keeps state (its result depends on calls before it) or a call fails."""
    from builders.tools.environment import checked_call

    def execute(calls: list[dict]):
        results = []
        for c in calls:
            tool = tools.get(c["name"])
            if tool is None or tool.environment:
                return None
            result = checked_call(tool, c.get("arguments") or {}, sandbox)
            if result.get("status") != "ok":
                return None
            results.append(result.get("value"))
        return results
    return execute


def figures(verdicts: list[Verdict]) -> dict:
    """Shares over the items (execution over the items where it applies), and the failures counted."""
    n = len(verdicts)
    executed = [v for v in verdicts if v.execution_match is not None]
    failures: dict[str, int] = {}
    for v in verdicts:
        if v.failure:
            failures[v.failure] = failures.get(v.failure, 0) + 1

    def share(vs, key):
        return round(sum(bool(getattr(v, key)) for v in vs) / len(vs), 4) if vs else None
    return {"items": n, "well_formed": share(verdicts, "well_formed"), "tool_match": share(verdicts, "tool_match"),
            "argument_match": share(verdicts, "argument_match"), "execution_items": len(executed),
            "execution_match": share(executed, "execution_match"),
            "failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])),
            "prompt_tokens": sum(v.prompt_tokens for v in verdicts),
            "completion_tokens": sum(v.completion_tokens for v in verdicts),
            "seconds": round(sum(v.seconds for v in verdicts), 2)}
