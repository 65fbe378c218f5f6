"""Prompt pieces the roles share when the model generates an episode (not the training rows' prompts,
which are α-UMi's own, in template.py).

Written for a 135M model: short, one fact per line, the tools' own examples as few-shot calls,
results shown as `name(args) -> value` so the next call can copy a value from them.
"""

from __future__ import annotations

import json

from builders.methods.roles.records import Step
from builders.tools.spec import Tool

RESULT_CHARS = 300


def first_sentence(text: str) -> str:
    head = text.strip().split("\n")[0]
    cut = head.find(". ")
    return head if cut < 0 else head[:cut + 1]


def signature(tool: Tool) -> str:
    """`name(arg: type, other?: a|b)`: what a small model needs to fill the arguments."""
    params = tool.parameters.get("properties") or {}
    required = set(tool.parameters.get("required") or ())
    parts = []
    for name, schema in params.items():
        enum = list(map(str, schema.get("enum") or ()))
        kind = "|".join(enum[:6]) + ("|…" if len(enum) > 6 else "") if enum else schema.get("type", "any")
        parts.append(f"{name}{'' if name in required else '?'}: {kind if isinstance(kind, str) else '|'.join(kind)}")
    return f"{tool.name}({', '.join(parts)})"


def brief(tool: Tool) -> str:
    return f"- {signature(tool)}: {first_sentence(tool.description)}"


def briefs(tools: list[Tool]) -> str:
    return "\n".join(brief(t) for t in tools)


def example_calls(tools: list[Tool]) -> list[str]:
    """The tools' own documented examples, as the JSON a call is written in."""
    out = []
    for tool in tools:
        for ex in tool.examples[:1]:
            if isinstance(ex, dict) and isinstance(ex.get("arguments"), dict):
                out.append(json.dumps({"name": tool.name, "arguments": ex["arguments"]}, ensure_ascii=False))
    return out


def results(steps: list[Step]) -> str:
    """The calls so far, one a line: `1. name({args}) -> value` or `-> ERROR: why`."""
    lines = []
    for step in (s for s in steps if s.next == "caller"):
        args = json.dumps(step.arguments, ensure_ascii=False)
        seen = step.observation[:RESULT_CHARS]
        lines.append(f"{len(lines) + 1}. {step.name}({args}) -> " + (seen if step.status == "ok" else f"ERROR: {seen}"))
    return "\n".join(lines) or "(no calls yet)"
