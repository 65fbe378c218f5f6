"""The calls in a model's free reply. A model answers through its own chat template, so its calls
come in its own shape: Qwen's `<tool_call>{"name", "arguments"}</tool_call>` blocks, Llama 3.1's bare
`{"name", "parameters"}`, a JSON list of such objects, a ```json fence, or Python call syntax
(`f(a=1)`, BFCL's prompt format). `calls` returns [] for a reply with no call (plain text) and None
for one that tries to call and cannot be read (the reply is not well-formed)."""

from __future__ import annotations

import ast
import json
import re

TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
FENCE = re.compile(r"```(?:json|python|tool_call)?\s*(.*?)```", re.S)


def _call(obj) -> dict | None:
    """{name, arguments} from one JSON object, or None when it is not a call."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # OpenAI's {"type": "function", "function": {...}}
        obj = obj["function"]
    name = obj.get("name")
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):  # OpenAI's arguments as a JSON string
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return None
    if not isinstance(name, str) or not name or not isinstance(args, dict):
        return None
    return {"name": name, "arguments": args}


def _json_calls(text: str) -> list[dict] | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    items = value if isinstance(value, list) else [value]
    calls = [_call(v) for v in items]
    return calls if calls and all(calls) else None


def _python_calls(text: str) -> list[dict] | None:
    """`f(a=1)` or `[f(a=1), g(b="x")]`, literal keyword arguments only."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    calls = []
    for node in nodes:
        if not isinstance(node, ast.Call) or node.args:
            return None
        try:
            name = ast.unparse(node.func)
            args = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except (ValueError, SyntaxError):
            return None
        calls.append({"name": name, "arguments": args})
    return calls or None


def calls(text: str) -> list[dict] | None:
    """The reply's calls ([] for none), or None when it is not well-formed."""
    text = text.strip()
    tagged = TAG.findall(text)
    if tagged:
        found = [_json_calls(t) for t in tagged]
        return [c for f in found for c in f] if all(found) else None
    for candidate in [text, *FENCE.findall(text)]:
        candidate = candidate.strip()
        if candidate[:1] in "{[":
            found = _json_calls(candidate)
            if found is not None:
                return found
        found = _python_calls(candidate) if candidate and "(" in candidate else None
        if found is not None:
            return found
    looks_like_call = text.startswith(("{", "[", "<tool_call>")) or '"name"' in text
    return None if looks_like_call else []
