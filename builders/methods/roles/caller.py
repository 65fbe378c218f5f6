"""The caller: the one call the planner's thought asks for (grammar-constrained JSON, low temperature),
then its execution — validated against the tool's schema and run in the sandbox, within the
episode's environment state. A failed call comes back with its error for the planner to act on.
"""

from __future__ import annotations

import json

from builders.llm import Usage
from builders.methods.calls import execute as run_call
from builders.methods.grounding import ground_parameters
from builders.methods.roles import prompts
from builders.tools import environment



def call_schema(tools, stated: str | None = None) -> dict:
    """One call to any of `tools`: the grammar makes every call parse and name a real tool. With
    `stated` (the request and the results so far), values are copied from it (grounding.py)."""
    options = [{"type": "object", "properties": {
                    "name": {"const": t.name},
                    "arguments": t.parameters if stated is None else ground_parameters(t.parameters, stated)},
                "required": ["name", "arguments"], "additionalProperties": False} for t in tools]
    return options[0] if len(options) == 1 else {"anyOf": options}


def made_calls(steps) -> set[tuple[str, str]]:
    return {(s.name, json.dumps(s.arguments, sort_keys=True)) for s in steps if s.next == "caller" and s.status == "ok"}


def repeats(call: dict, steps, made: set | None = None) -> bool:
    """Does `call` repeat one that already succeeded in this episode (a loop, not a plan)?"""
    return (call["name"], json.dumps(call["arguments"], sort_keys=True)) in (made if made is not None else made_calls(steps))


def choose_call(ctx, query: str, thought: str, tools, steps, seed: int, usage: Usage,
                discarded: list | None = None) -> dict | None:
    """The call, or None when the reply did not parse. Discarded candidates go to `discarded`."""
    discarded = discarded if discarded is not None else []
    examples = prompts.example_calls(tools)
    system = 'You call tools. Reply with one call as JSON: {"name": TOOL, "arguments": {...}}.'
    if examples:
        system += "\nExamples:\n" + "\n".join(examples)
    failed = steps and steps[-1].next == "caller" and steps[-1].status != "ok"
    prompt = (f"Tools:\n{prompts.briefs(tools)}\n\nRequest: {query}\n\nCalls so far:\n{prompts.results(steps)}\n\n"
              + ("The last call failed: fix it.\n" if failed else "")
              + f"Next step: {thought}\nWrite this call. Use values from the request and from earlier results.")
    known = "\n".join([query, *(s.observation for s in steps if s.next == "caller" and s.status == "ok")])
    schema = call_schema(tools, known if ctx.settings.get("grounding", True) else None)
    made = made_calls(steps)
    n, temperature = max(1, ctx.settings.get("candidates", 1)), ctx.settings.get("call_temperature", 0.2)
    for i in range(n):  # best of n: a call that repeats a successful one is a loop, not a plan
        out = usage.add(ctx.engine.chat_json([{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                                             schema, seed=seed + 7919 * i,
                                             temperature=temperature if i == 0 else max(temperature, 0.7),
                                             max_tokens=ctx.settings.get("max_tokens", 160)))
        value = out.value
        if not isinstance(value, dict) or not isinstance(value.get("arguments"), dict) or not value.get("name"):
            return None
        call = {"name": value["name"], "arguments": value["arguments"]}
        if not repeats(call, steps, made) or i == n - 1:
            return call
        discarded.append({"stage": "caller", "text": json.dumps(call), "reasons": ["repeated_call"]})


def execute(ctx, calls: environment.Episode, name: str, arguments: dict) -> dict:
    """{status, reason, observation, observation_cut}: `ok` with the value as JSON, or the failure."""
    call = run_call(ctx.tools, calls, name, arguments)
    return {"status": call.status, "reason": call.reason, "observation": call.observation,
            "observation_cut": call.observation_cut}
