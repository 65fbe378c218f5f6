"""The chat contract every chat config follows (transformers' chat-templating convention).

    {"role": "user", "content": "…"}
    {"role": "assistant", "content": "", "tool_calls": [{"id": "a1B2c3D4e", "type": "function",
                                                        "function": {"name": …, "arguments": {…}}}]}
    {"role": "tool", "tool_call_id": "a1B2c3D4e", "name": …, "content": "…a string…"}
    {"role": "assistant", "content": "…"}

A message carries only its own keys; `content` is never null; arguments are JSON objects, never
JSON strings (templates `tojson` them); ids are 9 letters and digits (Mistral's templates demand it).
`tools` is a list of {"type": "function", "function": {"name", "description", "parameters"}}.
"""

from __future__ import annotations

import hashlib
import string

_ALNUM = string.ascii_letters + string.digits


def call_id(*parts) -> str:
    """A stable 9-character id of letters and digits for one call, from what identifies it."""
    n = int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8], "little")
    out = []
    for _ in range(9):
        n, r = divmod(n, len(_ALNUM))
        out.append(_ALNUM[r])
    return "".join(out)


def user(content: str) -> dict:
    return {"role": "user", "content": content}


def system(content: str) -> dict:
    return {"role": "system", "content": content}


def assistant(content: str) -> dict:
    return {"role": "assistant", "content": content}


def tool_call(id_: str, name: str, arguments: dict) -> dict:
    """An assistant turn that makes one call."""
    return {"role": "assistant", "content": "",
            "tool_calls": [{"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}]}


def tool_result(id_: str, name: str, content: str) -> dict:
    return {"role": "tool", "tool_call_id": id_, "name": name, "content": content}


def tool_entry(spec: dict) -> dict:
    """A tool spec {name, description, parameters} as the `tools` list carries it."""
    return {"type": "function", "function": {"name": spec["name"], "description": spec["description"],
                                             "parameters": spec["parameters"]}}
