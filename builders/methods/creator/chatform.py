"""The chat form of a solved problem, for fine-tuning a model to call the tools CREATOR made.

    user       the problem (table and context included)
    assistant  a call of the created tool with this problem's arguments   (one per recorded call)
    tool       what the call returned, as JSON text
    assistant  "The answer is …."

The arguments are the ones the decision code really passed, recorded in the sandbox as the call
ran (programs.program), so the row shows a call that happened, not a paraphrase of the code. The
answer must be one of the results (`grounded`), else the row would teach an answer the calls did
not give; the judge rejects such rows (ungrounded_answer).
"""

from __future__ import annotations

import json
import re

from builders import chat
from builders.methods.creator.answers import equivalent, parse_answer, parse_prediction, rounds_to

MAX_CALLS = 4


def messages(problem_id: str, prompt: str, name: str, calls: list[dict], answer: str) -> list[dict]:
    """[] when the tool was not called with arguments that could be recorded."""
    usable = [c for c in calls if isinstance(c.get("arguments"), dict)][:MAX_CALLS]
    if not usable or not answer:
        return []
    out = [chat.user(prompt)]
    for i, call in enumerate(usable):
        id_ = chat.call_id(problem_id, name, i)
        out.append(chat.tool_call(id_, name, call["arguments"]))
        out.append(chat.tool_result(id_, name, json.dumps(call.get("result"), ensure_ascii=False)))
    out.append(chat.assistant(f"The answer is {answer}."))
    return out


def tools(spec: dict) -> list[dict]:
    return [chat.tool_entry(spec)] if spec else []


def _results(msgs: list[dict]) -> list[str]:
    return [m["content"] for m in msgs if m.get("role") == "tool"]


def grounded(answer: str, msgs: list[dict]) -> bool:
    """Does some tool result state the answer (a number in it, rounded as the answer is, or the
    answer's words)?"""
    said = parse_prediction(answer)
    for content in _results(msgs):
        try:
            value = json.loads(content)
        except (json.JSONDecodeError, TypeError):
            value = content
        if said is None:
            if answer and answer.lower() in str(value).lower():
                return True
            continue
        pieces = [str(value)] + re.findall(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?", json.dumps(value))
        for piece in pieces:
            gold = parse_answer(piece)
            if gold is not None and _same(piece, answer):
                return True
    return False


def _same(result: str, answer: str) -> bool:
    """The answer is the result, possibly rounded (to the answer's decimals) or with its unit."""
    try:
        return equivalent(answer, result) or equivalent(result, answer) or rounds_to(result, answer)
    except ValueError:
        return False
