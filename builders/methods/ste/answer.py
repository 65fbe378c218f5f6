"""The final answer to the user, written from the observation.

Its grammar: a sentence that starts with a capital letter (or a stated number) and holds no braces,
brackets, quotes, underscores, '=' or newlines — so it cannot paste the call's JSON or a tool
identifier. With grounding on, it must state a key value of the result, and every number in it is
one of the result's, the query's or the call's (builders/methods/grounding.py): a 135M model
otherwise writes 'The answer is a number' or a number found nowhere. Best of n (`candidates`): up to
n answers are sampled, the first that passes the answer checks is kept, the others are recorded."""

from __future__ import annotations

import json

from builders.llm import Completion, Usage
from builders.methods import grounding  # a module: grounding imports STE's checks
from builders.methods.ste import preamble
from builders.methods.ste.checks import answer_problems
from builders.methods.ste.settings import exploit
from builders.record import Call

ANSWER_FIELD = {"type": "string", "pattern": r'^[A-Z][^{}\[\]<>_=|\\"`\n]{9,180}$'}
ANSWER_SCHEMA = {"type": "object", "properties": {"answer": ANSWER_FIELD}, "required": ["answer"],
                 "additionalProperties": False}
MAX_TOKENS = 70
RETRY_TEMPERATURE = 0.7

SYSTEM = ("You write an assistant's final reply to a user from a tool's result. State the result in plain "
          "words, with its numbers exactly as the result gives them. Do not mention the tool, the call, "
          "JSON or code. One or two sentences.")


SHOT = [{"role": "user", "content": 'User request: How much is 250 US dollars in euros today?\n\n'
                                    'Tool result: {"amount": 231.5, "currency": "EUR"}\n\nReply in JSON: {"answer": "..."}'},
        {"role": "assistant", "content": '{"answer": "250 US dollars are 231.5 euros today."}'}]


def answer_schema(query: str, call: Call) -> dict:
    """The answer's grammar for this result: it must state one of the result's key values."""
    field = {"type": "string", "pattern": grounding.answer_pattern(call.observation, call.arguments, query)}
    return {"type": "object", "properties": {"answer": field}, "required": ["answer"], "additionalProperties": False}


def write_answer(ctx, query: str, call: Call, seed: int, usage: Usage, tools: list) -> tuple[str, Completion, list[dict]]:
    """The answer, its completion, and the discarded candidates with their reasons."""
    messages = [
        preamble.system(tools), *SHOT,
        {"role": "user", "content": f"{SYSTEM}\n\nUser request: {query}\n\nTool result: {call.observation}\n\n"
                                    'Reply in JSON: {"answer": "..."}'},
    ]
    schema = answer_schema(query, call) if ctx.settings.get("grounding", True) else ANSWER_SCHEMA
    sources = "\n".join([call.observation, query, json.dumps(call.arguments)])
    n, discarded = max(1, ctx.settings.get("candidates", 1)), []
    for i in range(n):
        sampling = {**exploit(ctx), "max_tokens": MAX_TOKENS}
        if i:  # a later candidate samples more widely: at a low temperature it would repeat the first
            sampling["temperature"] = max(sampling["temperature"], RETRY_TEMPERATURE)
        out = usage.add(ctx.engine.chat_json(messages, schema, seed=seed + 7919 * i, **sampling))
        answer = (out.value.get("answer", "") if isinstance(out.value, dict) else "").strip()
        finish = out.finish_reason if out.parsed else "length"
        problems = answer_problems(answer, finish, {t.name for t in tools}, call.arguments, sources)
        if not problems or i == n - 1:
            return answer, out, discarded
        discarded.append({"stage": "answer", "text": answer or out.text, "reasons": problems})
