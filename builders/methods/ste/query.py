"""Imagination: the model reads a tool's documentation and imagines a user query it can serve."""

from __future__ import annotations

from builders.llm import Usage
from builders.methods.ste.settings import sampling
from builders.tools.spec import Tool

QUERY_SCHEMA = {
    "type": "object",
    "properties": {"query": {"type": "string", "minLength": 12, "maxLength": 240}},
    "required": ["query"],
    "additionalProperties": False,
}


def imagine_query(ctx, tool: Tool, memory: list[str], seed: int, usage: Usage) -> str | None:
    """A concrete user request this tool can serve, unlike those already in memory."""
    seen = "".join(f"\n- {q}" for q in memory)
    prompt = (
        f"An assistant can use this tool:\n{tool.doc()}\n\n"
        + (f"Requests already written (write a different one):{seen}\n\n" if memory else "")
        + "Write one new, specific request that a user could send and that this tool can answer. "
        "Include the concrete values the tool needs. Reply in JSON: {\"query\": \"...\"}"
    )
    messages = [
        {"role": "system", "content": "You imagine realistic requests that users send to an assistant with tools."},
        {"role": "user", "content": prompt},
    ]
    out = usage.add(ctx.engine.chat_json(messages, QUERY_SCHEMA, seed=seed, **sampling(ctx)))
    query = out.value.get("query", "").strip() if isinstance(out.value, dict) else ""
    return query or None
