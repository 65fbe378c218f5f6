"""Self-reflection after each query: did the calls and the answer fulfil the query? (yes/no, why).
The model answers in the episode's own dialogue, right after its last call. Recorded in the row and
the episode; it labels the query in long-term memory (`Solved: Yes/No`)."""

from __future__ import annotations

from builders.llm import Usage
from builders.methods.ste.settings import decide

REFLECTION_SCHEMA = {"type": "object", "properties": {
    "solved": {"enum": ["yes", "no"]},
    "why": {"type": "string", "pattern": r'^[A-Za-z][^"\\\n{}]{3,150}$'}},
    "required": ["solved", "why"], "additionalProperties": False}


REFLECT = ("Check your own work honestly: did the calls and the final answer fulfil the user's request? "
           'Reply in JSON with "solved" (yes or no) and "why" (your reason in a few words).')


def reflect(ctx, conversation: list[dict], outcome: str, seed: int, usage: Usage) -> tuple[dict, list[dict]]:
    """{"solved": bool, "why": str} (a reply that does not parse counts as not solved), and the two
    messages that continue the query's `conversation` (trial.exchange): the question and the reply."""
    asked = {"role": "user", "content": f"{outcome}\n\n{REFLECT}"}
    out = usage.add(ctx.engine.chat_json([*conversation, asked], REFLECTION_SCHEMA, seed=seed, pin=1, **decide(ctx)))
    value = out.value if isinstance(out.value, dict) else {}
    return ({"solved": value.get("solved") == "yes", "why": str(value.get("why", ""))[:200]},
            [asked, {"role": "assistant", "content": out.text}])
