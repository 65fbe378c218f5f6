"""The final answer to the user, written from the observation."""

from __future__ import annotations

import json

from builders.llm import Usage
from builders.methods.ste.settings import sampling
from builders.record import Call


def write_answer(ctx, query: str, call: Call, seed: int, usage: Usage) -> str:
    messages = [
        {"role": "system", "content": "You answer the user's request using the tool result. Be brief and state the result."},
        {"role": "user", "content": f"Request: {query}\n\nThe tool {call.name} was called with "
                                    f"{json.dumps(call.arguments)} and returned: {call.observation}\n\n"
                                    "Answer the request in one or two sentences."},
    ]
    out = usage.add(ctx.engine.chat(messages, seed=seed, **sampling(ctx)))
    return out.text.strip()
