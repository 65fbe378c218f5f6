"""A scripted LLM for fast, deterministic tests of stage logic (never the only test of a feature)."""

from __future__ import annotations

import json

from builders.llm import Completion, parse_json


class ScriptedLLM:
    """Answers each call with the next scripted reply; a reply is a str, a JSON-able value, or a
    function of (messages, schema) → str. Records every call for assertions."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls: list[dict] = []

    def _next(self, messages, schema):
        if not self.replies:
            raise AssertionError(f"ScriptedLLM ran out of replies at call {len(self.calls) + 1}")
        reply = self.replies.pop(0)
        if callable(reply):
            reply = reply(messages, schema)
        return reply if isinstance(reply, str) else json.dumps(reply)

    def chat(self, messages, *, temperature=0.7, max_tokens=160, seed=0, schema=None):
        text = self._next(messages, schema)
        self.calls.append({"messages": messages, "schema": schema, "seed": seed, "text": text})
        return Completion(text=text, prompt_tokens=sum(len(m["content"].split()) for m in messages),
                          completion_tokens=len(text.split()), seconds=0.001)

    def chat_json(self, messages, schema, **kw):
        completion = self.chat(messages, schema=schema, **kw)
        completion.value = parse_json(completion.text)
        return completion
