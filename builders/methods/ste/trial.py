"""Trial and error: the model calls the tool, the call runs in the sandbox, a failed call comes back
with its error so the model can correct it."""

from __future__ import annotations

import json

from builders.llm import Usage
from builders.methods.ste.settings import sampling
from builders.record import Call
from builders.tools import environment
from builders.tools.spec import Tool

OBSERVATION_CHARS = 1500


def call_schema(tools: list[Tool]) -> dict:
    """JSON Schema of one call to any of `tools`: the grammar makes every call parse and fit."""
    options = [{
        "type": "object",
        "properties": {"name": {"const": t.name}, "arguments": t.parameters},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    } for t in tools]
    return options[0] if len(options) == 1 else {"anyOf": options}


def choose_call(ctx, tools: list[Tool], query: str, trials: list[Call], seed: int, usage: Usage) -> dict | None:
    """The call the model makes for `query`, seeing its earlier failed trials and their errors."""
    docs = "\n\n".join(t.doc() for t in tools)
    messages = [
        {"role": "system", "content": f"You answer requests by calling a tool. Tools:\n{docs}"},
        {"role": "user", "content": f"{query}\n\nReply with the tool call as JSON: "
                                    "{\"name\": TOOL, \"arguments\": {...}}"},
    ]
    for trial in trials:
        messages.append({"role": "assistant", "content": json.dumps({"name": trial.name, "arguments": trial.arguments})})
        messages.append({"role": "user", "content": f"That call failed: {trial.observation}\n"
                                                    "Reply with a corrected tool call as JSON."})
    out = usage.add(ctx.engine.chat_json(messages, call_schema(tools), seed=seed, **sampling(ctx)))
    return out.value if isinstance(out.value, dict) else None


def execute_call(ctx, call: dict, calls: environment.Episode) -> Call:
    """Validate the arguments, then run the call in the sandbox (within the episode's environments)."""
    name, arguments = call.get("name", ""), call.get("arguments")
    result = environment.checked_call(ctx.tools.get(name), arguments, episode=calls, tool_name=name)
    args = arguments if isinstance(arguments, dict) else {}
    if result["status"] == "invalid_arguments":
        errors = result["errors"]
        text = "; ".join(f"{e['path'] + ': ' if e['path'] else ''}{e['message']}" for e in errors)
        return Call(name=name, arguments=args, status="invalid", reason=errors[0]["reason"], message=text,
                    observation=f"invalid arguments: {text}")
    status = result.get("status", "crashed")
    wall_ms = float(result.get("wall_ms") or 0.0)
    if status == "ok":
        observation = json.dumps(result.get("value"), ensure_ascii=False)[:OBSERVATION_CHARS]
        return Call(name=name, arguments=args, status="ok", observation=observation, wall_ms=wall_ms)
    message = f"{result.get('exc_type') or status}: {result.get('message') or ''}".strip()[:OBSERVATION_CHARS]
    return Call(name=name, arguments=args, status=status, reason="execution_error" if status == "error" else status,
                message=message, observation=message, wall_ms=wall_ms)
