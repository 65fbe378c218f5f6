"""The caller: the one call the planner's thought asks for (grammar-constrained JSON, low temperature),
then its execution — validated against the tool's schema and run in the sandbox, within the
episode's environment state. A failed call comes back with its error for the planner to act on.
"""

from __future__ import annotations


from builders.llm import Usage
from builders.methods.calls import execute as run_call
from builders.methods.roles import prompts
from builders.tools import environment



def call_schema(tools) -> dict:
    """One call to any of `tools`: the grammar makes every call parse and name a real tool."""
    options = [{"type": "object", "properties": {"name": {"const": t.name}, "arguments": t.parameters},
                "required": ["name", "arguments"], "additionalProperties": False} for t in tools]
    return options[0] if len(options) == 1 else {"anyOf": options}


def choose_call(ctx, query: str, thought: str, tools, steps, seed: int, usage: Usage) -> dict | None:
    examples = prompts.example_calls(tools)
    system = 'You call tools. Reply with one call as JSON: {"name": TOOL, "arguments": {...}}.'
    if examples:
        system += "\nExamples:\n" + "\n".join(examples)
    failed = steps and steps[-1].next == "caller" and steps[-1].status != "ok"
    prompt = (f"Tools:\n{prompts.briefs(tools)}\n\nRequest: {query}\n\nCalls so far:\n{prompts.results(steps)}\n\n"
              + ("The last call failed: fix it.\n" if failed else "")
              + f"Next step: {thought}\nWrite this call. Use values from the request and from earlier results.")
    out = usage.add(ctx.engine.chat_json([{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                                         call_schema(tools), seed=seed,
                                         temperature=ctx.settings.get("call_temperature", 0.2),
                                         max_tokens=ctx.settings.get("max_tokens", 160)))
    value = out.value
    if not isinstance(value, dict) or not isinstance(value.get("arguments"), dict) or not value.get("name"):
        return None
    return {"name": value["name"], "arguments": value["arguments"]}


def execute(ctx, calls: environment.Episode, name: str, arguments: dict) -> dict:
    """{status, reason, observation, observation_cut}: `ok` with the value as JSON, or the failure."""
    call = run_call(ctx.tools, calls, name, arguments)
    return {"status": call.status, "reason": call.reason, "observation": call.observation,
            "observation_cut": call.observation_cut}
