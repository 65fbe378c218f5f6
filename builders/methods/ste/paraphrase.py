"""Paraphrase augmentation: at most P rewordings of an accepted query, under the query grammar.
Each becomes its own row, linked to its seed (`paraphrase_of`) and in the seed's group (so in the
seed's split), and is checked like any row: a paraphrase that drops a value the call needs fails
`argument_hallucinated`, one that repeats the seed or another paraphrase fails here."""

from __future__ import annotations

import re
from dataclasses import replace

from builders.llm import Usage
from builders.methods.ste import preamble
from builders.methods.ste.query import QUERY_FIELD
from builders.methods.ste.records import Example
from builders.methods.ste.settings import exploit


def paraphrase_schema(count: int) -> dict:
    return {"type": "object", "properties": {"paraphrases": {"type": "array", "items": QUERY_FIELD,
                                                             "minItems": 1, "maxItems": count}},
            "required": ["paraphrases"], "additionalProperties": False}


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def paraphrase(ctx, seed_row: Example, count: int, seed: int, usage: Usage, tools: list) -> list[Example]:
    messages = [
        preamble.system(tools),
        {"role": "user", "content": "Reword a user's request the way different people would type it.\n\n"
                                    f"Request: {seed_row.query}\n\nWrite {count} different ways a user could "
                                    "type this same request. Keep every number, name, date and text exactly as "
                                    'it is. Reply in JSON: {"paraphrases": ["...", ...]}'},
    ]
    out = usage.add(ctx.engine.chat_json(messages, paraphrase_schema(count), seed=seed, pin=1, **exploit(ctx)))
    texts = out.value.get("paraphrases", []) if isinstance(out.value, dict) else []
    seen = {_norm(seed_row.query)}
    rows = []
    for j, text in enumerate(t.strip() for t in texts[:count] if isinstance(t, str)):
        reasons = ["paraphrase_duplicate"] if _norm(text) in seen else []
        seen.add(_norm(text))
        messages = list(seed_row.messages)
        last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
        messages[last_user] = {**messages[last_user], "content": text}
        rows.append(replace(seed_row, id=f"{seed_row.id}-p{j}", query=text, paraphrase_of=seed_row.id,
                            messages=messages, reasons=reasons, accepted=False, detail="",
                            reflection={}, verdict={}, prompt_tokens=0, completion_tokens=0, llm_seconds=0.0))
    return rows
