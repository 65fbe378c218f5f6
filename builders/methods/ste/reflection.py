"""Self-reflection after each query: did the calls and the answer fulfil the query? (yes/no, why).
Recorded in the row and the episode; it labels the query in long-term memory (`Solved: Yes/No`)."""

from __future__ import annotations

from builders.llm import Usage
from builders.methods.ste.memory import Turn, call_text
from builders.methods.ste import preamble
from builders.methods.ste.settings import decide

REFLECTION_SCHEMA = {"type": "object", "properties": {
    "solved": {"enum": ["yes", "no"]},
    "why": {"type": "string", "pattern": r'^[A-Za-z][^"\\\n{}]{3,150}$'}},
    "required": ["solved", "why"], "additionalProperties": False}


def reflect(ctx, turn: Turn, seed: int, usage: Usage, tools: list) -> dict:
    """{"solved": bool, "why": str}; a reply that does not parse counts as not solved."""
    calls = "\n".join(f"Call: {call_text(c)}\n{'Result' if c.status == 'ok' else 'Error'}: {c.observation[:300]}"
                      for c in turn.trials) or "No call was made."
    messages = [
        preamble.system(tools),
        {"role": "user", "content": f"Check your own work honestly.\n\nUser request: {turn.query}\n{calls}\nFinal answer: {turn.answer or '(none)'}\n\n"
                                    "Did the calls and the final answer fulfil the user's request? "
                                    'Reply in JSON with "solved" (yes or no) and "why" (your reason in a few words).'},
    ]
    out = usage.add(ctx.engine.chat_json(messages, REFLECTION_SCHEMA, seed=seed, **decide(ctx)))
    value = out.value if isinstance(out.value, dict) else {}
    return {"solved": value.get("solved") == "yes", "why": str(value.get("why", ""))[:200]}
