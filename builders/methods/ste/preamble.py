"""The system message every prompt of an episode starts with: the offered tools' documentation and
their example calls, the same text for each stage (imagination, calls, answer, reflection, judge,
paraphrase). llama.cpp keeps the KV cache of the previous prompt and evaluates only what differs, so
an episode's prompts evaluate this prefix once; each stage's own instruction and everything that
varies (memories, the query, results) come after it, in the user turns."""

from __future__ import annotations

import json

from builders.tools.spec import Tool


def system(tools: list[Tool]) -> dict:
    docs = "\n\n".join(t.doc() for t in tools)
    examples = [f'Example call: {json.dumps({"name": t.name, "arguments": e["arguments"]})}'
                for t in tools for e in t.examples[:1] if isinstance(e, dict) and "arguments" in e]
    return {"role": "system", "content": "An assistant helps users with these tools.\n"
                                         f"Tools:\n{docs}\n" + "\n".join(examples)}
