"""Executing one call a model made: validate its arguments against the tool's schema, run it in the
sandbox (within the episode's stateful environments), and keep the observation the model is shown —
whole up to the chat contract's bound, cut with a visible mark beyond it. A call that never reached
its HTTP service is no observation: it raises ServiceUnreachable. Every method that calls
tools goes through here, so a call's record has one shape."""

from __future__ import annotations

import json

from builders import chat
from builders.errors import ServiceUnreachable
from builders.record import Call
from builders.tools import environment


def execute(tools: dict, episode: environment.Episode, name: str, arguments) -> Call:
    result = environment.checked_call(tools.get(name), arguments, episode=episode, tool_name=name)
    args = arguments if isinstance(arguments, dict) else {}
    status = result.get("status", "crashed")
    if status == "invalid_arguments":
        errors = result["errors"]
        text = "; ".join(f"{e['path'] + ': ' if e['path'] else ''}{e['message']}" for e in errors)
        observation, cut = chat.bound_observation(f"invalid arguments: {text}")
        return Call(name=name, arguments=args, status="invalid", reason=errors[0]["reason"], message=text,
                    observation=observation, observation_cut=cut)
    if result.get("fault") == "transport":
        tool = tools.get(name)
        raise ServiceUnreachable(f"{getattr(tool, 'source', '') or 'tools'}: {name}: could not reach its service: "
                                 f"{result.get('message')}")
    wall_ms = float(result.get("wall_ms") or 0.0)
    if status == "ok":
        observation, cut = chat.bound_observation(json.dumps(result.get("value"), ensure_ascii=False))
        return Call(name=name, arguments=args, status="ok", observation=observation, observation_cut=cut,
                    wall_ms=wall_ms, state_changed=bool(result.get("state_changed")))
    message, cut = chat.bound_observation(f"{result.get('exc_type') or status}: {result.get('message') or ''}".strip())
    return Call(name=name, arguments=args, status=status, reason="execution_error" if status == "error" else status,
                message=message, observation=message, observation_cut=cut, wall_ms=wall_ms)
