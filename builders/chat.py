"""The chat contract every chat config follows (transformers' chat-templating convention).

    {"role": "system", "content": "…"}                      (optional, first)
    {"role": "user", "content": "…"}
    {"role": "assistant", "content": "", "tool_calls": [{"id": "a1B2c3D4e", "type": "function",
                                                        "function": {"name": …, "arguments": {…}}}]}
    {"role": "tool", "tool_call_id": "a1B2c3D4e", "name": …, "content": "…a string…"}
    {"role": "assistant", "content": "…"}

A message carries only its own keys (no `name: null`, no `tool_calls: null`: templates test
`'tool_calls' in message`); `content` is never null; arguments are JSON objects, never JSON strings
(templates `tojson` them, a string would be double-encoded); ids are 9 letters and digits (Mistral's
templates demand it) and each call is followed at once by its result with the same id, in order.
`tools` is a list of {"type": "function", "function": {"name", "description", "parameters"}}.

Observations (a tool's result as the `tool` message carries it) stay whole up to OBSERVATION_CHARS;
a longer one is cut at a value boundary with a visible mark, and the caller is told it was cut
(`bound_observation`). `validate_messages` checks all of the above and says what is wrong, in words.
"""

from __future__ import annotations

import hashlib
import json
import re
import string

_ALNUM = string.ascii_letters + string.digits
_ID = re.compile(r"[A-Za-z0-9]{9}")

OBSERVATION_CHARS = 4000
"""Observations up to this many characters stay whole; longer ones are cut to at most this many."""

ROLE_KEYS = {
    "system": {"role", "content"},
    "user": {"role", "content"},
    "assistant": {"role", "content", "tool_calls"},
    "tool": {"role", "tool_call_id", "name", "content"},
}


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


def call(id_: str, name: str, arguments: dict) -> dict:
    """One entry of an assistant turn's `tool_calls`."""
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_call(id_: str, name: str, arguments: dict) -> dict:
    """An assistant turn that makes one call."""
    return {"role": "assistant", "content": "", "tool_calls": [call(id_, name, arguments)]}


def tool_calls(calls: list[tuple[str, str, dict]]) -> dict:
    """An assistant turn that makes several calls at once, each (id, name, arguments); their results
    follow in the same order. (Llama 3.1's template refuses more than one call per turn.)"""
    return {"role": "assistant", "content": "", "tool_calls": [call(*c) for c in calls]}


def tool_result(id_: str, name: str, content: str) -> dict:
    return {"role": "tool", "tool_call_id": id_, "name": name, "content": content}


def tool_entry(spec: dict) -> dict:
    """A tool spec {name, description, parameters} as the `tools` list carries it."""
    return {"type": "function", "function": {"name": spec["name"], "description": spec["description"],
                                             "parameters": spec["parameters"]}}


# --- the contract, checked --------------------------------------------------------------------------

def validate_messages(messages, tools, *, open_call: bool = False) -> list[str]:
    """Every way `messages` and `tools` break the contract, one line each (empty when they keep it).
    `open_call`: the last message may be a call whose result the row does not hold — the target of a
    caller row, which teaches the call itself (α-UMi's caller and backbone rows)."""
    problems = _validate_tools(tools)
    names = {t["function"]["name"] for t in tools or [] if _is_tool_entry(t)}
    if not isinstance(messages, list) or not messages:
        return problems + ["messages: not a non-empty list"]
    pending: list[tuple[str, str]] = []   # (id, name) of calls whose results are still due, in order
    seen_ids: set[str] = set()
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            problems.append(f"{where}: not an object")
            continue
        role = m.get("role")
        if role not in ROLE_KEYS:
            problems.append(f"{where}.role: {role!r} is not one of {sorted(ROLE_KEYS)}")
            continue
        extra = set(m) - ROLE_KEYS[role]
        if extra:
            problems.append(f"{where}: keys {sorted(extra)} do not belong to a {role} message")
        missing = ROLE_KEYS[role] - set(m) - ({"tool_calls"} if role == "assistant" else set())
        if missing:
            problems.append(f"{where}: {role} message lacks {sorted(missing)}")
        if "content" in m and not isinstance(m["content"], str):
            problems.append(f"{where}.content: {_kind(m['content'])}, not a string")
        if role == "system" and i != 0:
            problems.append(f"{where}: a system message only comes first")
        if pending and role != "tool":
            problems.append(f"{where}: the result of call {pending[0][0]!r} ({pending[0][1]}) must come next")
            pending = []
        if role == "assistant" and "tool_calls" in m:
            pending = _check_calls(m["tool_calls"], where, names, seen_ids, problems)
        elif role == "tool":
            if not pending:
                problems.append(f"{where}: a tool result that answers no call just before it")
                continue
            want_id, want_name = pending.pop(0)
            if m.get("tool_call_id") != want_id:
                problems.append(f"{where}.tool_call_id: {m.get('tool_call_id')!r}, the call was {want_id!r}")
            if m.get("name") != want_name:
                problems.append(f"{where}.name: {m.get('name')!r}, the call was to {want_name!r}")
    ends_in_call = messages[-1].get("role") == "assistant" and bool(messages[-1].get("tool_calls"))
    if pending and not (open_call and ends_in_call and len(pending) == len(messages[-1]["tool_calls"])):
        problems.append(f"messages: call {pending[0][0]!r} ({pending[0][1]}) has no result")
    return problems


def _check_calls(calls, where, names, seen_ids, problems) -> list[tuple[str, str]]:
    if not isinstance(calls, list) or not calls:
        problems.append(f"{where}.tool_calls: not a non-empty list (leave the key out when there are no calls)")
        return []
    pending = []
    for j, c in enumerate(calls):
        at = f"{where}.tool_calls[{j}]"
        if not isinstance(c, dict):
            problems.append(f"{at}: not an object")
            continue
        if set(c) != {"id", "type", "function"}:
            problems.append(f"{at}: keys {sorted(c)}, want ['function', 'id', 'type']")
        if c.get("type") != "function":
            problems.append(f"{at}.type: {c.get('type')!r}, want 'function'")
        id_ = c.get("id")
        if not isinstance(id_, str) or not _ID.fullmatch(id_):
            problems.append(f"{at}.id: {id_!r} is not 9 letters and digits")
        elif id_ in seen_ids:
            problems.append(f"{at}.id: {id_!r} is used twice in the conversation")
        seen_ids.add(id_)
        fn = c.get("function")
        if not isinstance(fn, dict) or set(fn) != {"name", "arguments"}:
            problems.append(f"{at}.function: want an object with exactly name and arguments")
            fn = fn if isinstance(fn, dict) else {}
        name = fn.get("name")
        if name not in names:
            problems.append(f"{at}.function.name: {name!r} is not among the tools")
        if not isinstance(fn.get("arguments"), dict):
            problems.append(f"{at}.function.arguments: {_kind(fn.get('arguments'))}, not an object")
        pending.append((id_, name))
    return pending


def _is_tool_entry(t) -> bool:
    return isinstance(t, dict) and isinstance(t.get("function"), dict) and isinstance(t["function"].get("name"), str)


def _validate_tools(tools) -> list[str]:
    if not isinstance(tools, list):
        return [f"tools: {_kind(tools)}, not a list"]
    problems, names = [], set()
    for k, t in enumerate(tools):
        at = f"tools[{k}]"
        if not isinstance(t, dict) or set(t) != {"type", "function"} or t.get("type") != "function":
            problems.append(f"{at}: want {{'type': 'function', 'function': {{…}}}}")
            continue
        fn = t["function"]
        if not isinstance(fn, dict) or set(fn) != {"name", "description", "parameters"}:
            problems.append(f"{at}.function: want exactly name, description and parameters")
            continue
        if not isinstance(fn["name"], str) or not fn["name"]:
            problems.append(f"{at}.function.name: not a non-empty string")
        elif fn["name"] in names:
            problems.append(f"{at}.function.name: {fn['name']!r} appears twice")
        names.add(fn["name"])
        if not isinstance(fn["description"], str):
            problems.append(f"{at}.function.description: {_kind(fn['description'])}, not a string")
        p = fn["parameters"]
        if not isinstance(p, dict) or p.get("type") != "object":
            problems.append(f"{at}.function.parameters: not a JSON Schema of type object")
    return problems


def _kind(value) -> str:
    return {type(None): "null", str: "a string", dict: "an object", list: "a list", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


# --- observations -----------------------------------------------------------------------------------

def bound_observation(text: str, limit: int = OBSERVATION_CHARS) -> tuple[str, bool]:
    """The observation as a row keeps it, and whether it was cut.

    Up to `limit` characters it stays whole. JSON text (an object, a list, a string) is cut at a
    value boundary and stays valid JSON: members or items are dropped from the end and a last one
    says how many (`"…": "(N more members cut)"`, `"… (N more items cut)"`); a long string inside is
    cut at a word boundary with `… [cut: N characters]`. Other text is cut at a word boundary with
    the same mark. The result is at most `limit` characters.
    """
    if len(text) <= limit:
        return text, False
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    else:
        if isinstance(value, (dict, list, str)):
            whole = _dumps(value)
            if len(whole) <= limit:          # only whitespace made it long: the value is whole
                return whole, False
            shrunk = _shrink(value, limit)
            if shrunk is not None:
                return _dumps(shrunk), True
    return _cut_words(text, limit), True


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cut_words(text: str, limit: int) -> str:
    """`text` cut at a word boundary so that it and its mark fit in `limit` characters."""
    keep = limit
    while keep > 0:
        head = text[:keep]
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space > keep - 200 and keep < len(text) and not text[keep].isspace():
            head = head[:space]            # a word runs past the cut: end before it (unless it is huge)
        head = head.rstrip()
        out = f"{head} … [cut: {len(text) - len(head)} characters]"
        if len(out) <= limit:
            return out
        keep -= len(out) - limit
    return f"… [cut: {len(text)} characters]"[:limit]


def _shrink(value, budget: int):
    """`value` made to serialize in at most `budget` characters by cutting from the end; None if it cannot."""
    if len(_dumps(value)) <= budget:
        return value
    if isinstance(value, str):
        room = budget - 2
        while room > 0:                      # quotes and escapes count: cut shorter until it fits
            inner = _cut_words(value, room)
            over = len(_dumps(inner)) - budget
            if over <= 0:
                return inner
            room -= over
        return None
    if isinstance(value, list):
        items, mark = list(value), lambda n: f"… ({n} more items cut)"
        build = lambda kept, n: kept + [mark(n)] * (n > 0)
    elif isinstance(value, dict):
        items, mark = list(value.items()), lambda n: f"({n} more members cut)"
        build = lambda kept, n: dict(kept + [("…", mark(n))] * (n > 0))
    else:
        return None
    n = len(items)
    # The longest whole prefix that fits with its mark (sizes add up: items plus ", " between them).
    sizes = [len(_dumps(it)) if isinstance(value, list) else len(_dumps(it[0])) + 2 + len(_dumps(it[1]))
             for it in items]
    kept, used = 0, 2
    while kept < n:
        mark_size = 2 + len(_dumps(mark(n - kept - 1))) + (len('"…": ') if isinstance(value, dict) else 0)
        if used + sizes[kept] + mark_size > budget:
            break
        used += sizes[kept] + 2
        kept += 1
    best = build(items[:kept], n - kept)
    if len(_dumps(best)) > budget:
        return None
    # Room left: the next item, itself cut, keeps what it can (a long list inside one member, say).
    if kept < n:
        room = budget - len(_dumps(build(items[:kept], n - kept - 1))) - 2
        nxt = items[kept]
        if isinstance(value, dict):
            room -= len(_dumps(nxt[0])) + 2
        part = _shrink(nxt if isinstance(value, list) else nxt[1], room) if room > 20 else None
        if part is not None:
            more = build(items[:kept] + [part if isinstance(value, list) else (nxt[0], part)], n - kept - 1)
            if len(_dumps(more)) <= budget:
                best = more
    return best
