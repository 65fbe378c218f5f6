"""The system message the episode's conversation starts with: the offered tools' documentation and
their example calls. Calls, reflection and the judge continue that conversation (trial.exchange) and
paraphrases start from it too, so their prompts share this prefix and its KV cache. They pin it
(`pin=1`): a process evaluates it once and copies it into every partition's sequence, so a tool's
memory chains, run as separate partitions, do not evaluate its documentation again. Each stage's own
instruction and everything that varies (the query, results) come after it, in the user turns.
Imagination and the answer have few-shot prompts of their own (query.py, answer.py)."""

from __future__ import annotations

import json

from builders.tools.spec import Tool


def system(tools: list[Tool]) -> dict:
    docs = "\n\n".join(t.doc() for t in tools)
    examples = [f'Example call: {json.dumps({"name": t.name, "arguments": e["arguments"]})}'
                for t in tools for e in t.examples[:1] if isinstance(e, dict) and "arguments" in e]
    return {"role": "system", "content": "An assistant helps users with these tools.\n"
                                         f"Tools:\n{docs}\n" + "\n".join(examples)}
