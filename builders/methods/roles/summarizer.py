"""The summarizer: the final answer, written from the successful calls' results (α-UMi's `conclusion`).

It writes its own sentence: the grammar bounds only its length. An earlier grammar made it state a
value of the last result in a closed vocabulary; the 1.5B model then stitched values into broken
phrases ("February 27, total 2024", "which is,."). Faithfulness is the checks' business
(checks.answer, checks.answer_matches_results), which reject an answer that invents or contradicts.
"""

from __future__ import annotations

from builders.llm import Usage
from builders.methods.roles import prompts

ANSWER_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "minLength": 8, "maxLength": 300}},
                 "required": ["answer"], "additionalProperties": False}


def summarize(ctx, query: str, steps, seed: int, usage: Usage) -> str | None:
    """The answer, or None when the output did not parse (cut off or malformed)."""
    ok = [s for s in steps if s.next == "caller" and s.status == "ok"]
    prompt = (f"Request: {query}\n\nTool results:\n{prompts.results(ok)}\n\n"
              "Answer every part of the request in one or two plain sentences, in your own words. Copy each "
              "date, number and name exactly as the results give it; say nothing the results do not say. "
              'Do not show JSON.\nReply in JSON: {"answer": "..."}')
    messages = [{"role": "system", "content": "You write the final answer for the user from tool results."},
                {"role": "user", "content": prompt}]
    out = usage.add(ctx.engine.chat_json(messages, ANSWER_SCHEMA, seed=seed,
                                         temperature=ctx.settings.get("call_temperature", 0.2),
                                         max_tokens=ctx.settings.get("max_tokens", 160)))
    answer = out.value.get("answer", "").strip() if isinstance(out.value, dict) else ""
    return answer or None
