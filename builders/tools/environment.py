"""Executing tool calls for one episode, with state kept for stateful environments.

A stateful environment is a class whose public methods are tools (a file system, a booking
system …). Within one episode every call of its methods sees the same instance; the next episode
starts from a fresh one. The instance lives only inside the sandbox: each call returns it as an
opaque blob (result["state"]) which the Episode keeps and hands back on the next call of the same
environment. Nothing here opens the blob; result["state_changed"] says whether the call changed it
(the sandbox compares the instance before and after), which tells a read from a write.

    episode = Episode(sandbox)
    episode.call(tools["write_file"], {"path": "a.txt", "text": "hi"})
    episode.call(tools["read_file"], {"path": "a.txt"})      # sees a.txt
    Episode(sandbox).call(tools["read_file"], {"path": "a.txt"})  # a new episode: no a.txt
"""

from __future__ import annotations

import json
from dataclasses import asdict

from builders.tools.spec import Tool, validate_arguments


def environment_key(target: dict) -> str | None:
    """Which environment instance a target's calls share within an episode (None: stateless)."""
    if "class" not in target:
        return None
    return json.dumps({k: target.get(k) for k in ("file", "module", "class", "init")}, sort_keys=True)


class Episode:
    """The calls of one episode: one instance per stateful environment, kept across these calls."""

    def __init__(self, sandbox, limits=None):
        self.sandbox = sandbox
        self.limits = limits
        self.states: dict[str, str] = {}
        self.calls = 0

    def call(self, tool: Tool | dict, arguments: dict) -> dict:
        """Execute one call in the sandbox (arguments assumed valid; see `checked_call`)."""
        target = tool.target if isinstance(tool, Tool) else tool
        key = environment_key(target)
        kwargs = {"limits": self.limits} if self.limits is not None else {}
        if key is not None:
            kwargs["state"] = self.states.get(key)
        result = self.sandbox.call_tool(target, arguments, **kwargs)
        blob = result.pop("state", None)
        if key is not None and blob is not None and result.get("status") == "ok":
            self.states[key] = blob  # a failed call leaves the environment as it was before it
        self.calls += 1
        return result

    def reset(self) -> None:
        """Forget every environment's state: the next call starts a new episode."""
        self.states.clear()
        self.calls = 0


def checked_call(tool: Tool | None, arguments, sandbox=None, *, episode: Episode | None = None,
                 tool_name: str = "") -> dict:
    """Validate the arguments, then execute through the sandbox (within `episode` when given).

    Invalid arguments give {"status": "invalid_arguments", "errors": [{reason, message, path}], …}
    and nothing runs.
    """
    errors = validate_arguments(tool, arguments, tool_name or getattr(tool, "name", ""))
    if errors:
        return {"status": "invalid_arguments", "value": None, "errors": [asdict(e) for e in errors],
                "message": "; ".join(f"{e.reason}: {e.message}" for e in errors)}
    episode = episode or Episode(sandbox)
    return episode.call(tool, arguments)
