"""The summarizer: the final answer, written from the successful calls' results (α-UMi's `conclusion`).
With grounding, its grammar makes it state a value of the last result and no number from elsewhere."""

from __future__ import annotations

import json

from builders.llm import Usage
from builders.methods.grounding import answer_pattern
from builders.methods.roles import prompts

ANSWER_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "minLength": 8, "maxLength": 300}},
                 "required": ["answer"], "additionalProperties": False}


def answer_schema(query: str, ok: list) -> dict:
    """The answer must state a key value of the last result; its other numbers come from the results,
    the request or the calls (grounding.py)."""
    known = "\n".join([query, *(s.observation for s in ok[:-1]), *(json.dumps(s.arguments) for s in ok)])
    field = {"type": "string", "pattern": answer_pattern(ok[-1].observation, ok[-1].arguments, known)}
    return {"type": "object", "properties": {"answer": field}, "required": ["answer"], "additionalProperties": False}


def summarize(ctx, query: str, steps, seed: int, usage: Usage) -> str | None:
    """The answer, or None when the output did not parse (cut off or malformed)."""
    ok = [s for s in steps if s.next == "caller" and s.status == "ok"]
    schema = answer_schema(query, ok) if ok and ctx.settings.get("grounding", True) else ANSWER_SCHEMA
    prompt = (f"Request: {query}\n\nTool results:\n{prompts.results(ok)}\n\n"
              "Write the answer to the request in one or two sentences. State the results in words, with "
              'their numbers. Do not show JSON.\nReply in JSON: {"answer": "..."}')
    messages = [{"role": "system", "content": "You write the final answer for the user from tool results."},
                {"role": "user", "content": prompt}]
    out = usage.add(ctx.engine.chat_json(messages, schema, seed=seed,
                                         temperature=ctx.settings.get("call_temperature", 0.2),
                                         max_tokens=ctx.settings.get("max_tokens", 160)))
    answer = out.value.get("answer", "").strip() if isinstance(out.value, dict) else ""
    return answer or None
