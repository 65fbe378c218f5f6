"""The final answer to the user, written from the observation.

Its grammar: a sentence that starts with a capital letter and holds no braces, brackets, quotes,
underscores, '=' or newlines — so it cannot paste the call's JSON or a tool identifier."""

from __future__ import annotations

from builders.llm import Completion, Usage
from builders.methods.ste import preamble
from builders.methods.ste.settings import exploit
from builders.record import Call

ANSWER_FIELD = {"type": "string", "pattern": r'^[A-Z][^{}\[\]<>_=|\\"`\n]{9,180}$'}
ANSWER_SCHEMA = {"type": "object", "properties": {"answer": ANSWER_FIELD}, "required": ["answer"],
                 "additionalProperties": False}

SYSTEM = ("You write an assistant's final reply to a user from a tool's result. State the result in plain "
          "words, with its numbers exactly as the result gives them. Do not mention the tool, the call, "
          "JSON or code. One or two sentences.")


SHOT = [{"role": "user", "content": 'User request: How much is 250 US dollars in euros today?\n\n'
                                    'Tool result: {"amount": 231.5, "currency": "EUR"}\n\nReply in JSON: {"answer": "..."}'},
        {"role": "assistant", "content": '{"answer": "250 US dollars are 231.5 euros today."}'}]


def write_answer(ctx, query: str, call: Call, seed: int, usage: Usage, tools: list) -> tuple[str, Completion]:
    messages = [
        preamble.system(tools), *SHOT,
        {"role": "user", "content": f"{SYSTEM}\n\nUser request: {query}\n\nTool result: {call.observation}\n\n"
                                    'Reply in JSON: {"answer": "..."}'},
    ]
    out = usage.add(ctx.engine.chat_json(messages, ANSWER_SCHEMA, seed=seed, **{**exploit(ctx), "max_tokens": 70}))
    answer = out.value.get("answer", "") if isinstance(out.value, dict) else ""
    return answer.strip(), out
