"""α-UMi's invariants on a role row, for our rows and for the reference rows alike.

    every planner target ends in ` Next: caller.`, ` Next: conclusion.` or ` Next: give up.`;
    every caller target is `Action: NAME\\nAction Input: {json}` with NAME in the row's tools and
    arguments valid against that tool's parameters;
    every input ends in its role's cue;
    every input is the role's template filled with the row's tools and its serialised history.

The tool's parameters are read from the row's own ToolBench entry (`input: {arg: "type, …"}`, so the
same check runs on upstream rows) and, when the row carries the chat contract, from the full schema.
"""

from __future__ import annotations

import jsonschema

from builders.methods.roles import template
from builders.methods.roles.rows import parse_call

_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}


def entry_schema(entry: dict) -> dict:
    """A JSON Schema for a ToolBench entry's `input`: the named arguments with their declared types."""
    props = {}
    for name, text in (entry.get("input") or {}).items():
        declared = [t.strip().lower() for t in str(text).split(",", 1)[0].split("|")]
        known = [t for t in declared if t in _TYPES]
        props[name] = {"type": known if len(known) > 1 else known[0]} if known and len(known) == len(declared) else {}
    return {"type": "object", "properties": props, "additionalProperties": False}


def call_problems(value: str, tools: list[dict], chat_tools: list[dict] = ()) -> list[str]:
    parsed = parse_call(value)
    if parsed is None:
        return [f"not `Action: NAME\\nAction Input: {{json}}`: {value[:80]!r}"]
    name, arguments = parsed
    entry = next((t for t in tools if t.get("Name") == name), None)
    if entry is None:
        return [f"calls {name!r}, which is not among the row's tools"]
    schemas = [entry_schema(entry)]
    schemas += [t["function"]["parameters"] for t in chat_tools if t.get("function", {}).get("name") == name]
    problems = []
    for schema in schemas:
        for err in jsonschema.Draft202012Validator(schema).iter_errors(arguments):
            problems.append(f"{name} arguments: {err.message}")
    return problems


def row_problems(row: dict, role: str, chat_tools: list[dict] = ()) -> list[str]:
    """What breaks α-UMi's format in one row ({tools, history, input, target}, α-UMi's own shape);
    [] when it holds. `chat_tools`: the row's chat-contract tools, whose full schemas check calls too."""
    problems = []
    tools, history, text, target = row.get("tools") or [], row.get("history") or [], row.get("input", ""), row.get("target", "")
    if not target:
        problems.append("empty target")
    if not text.endswith(template.CUES[role]):
        problems.append(f"input does not end in the {role}'s cue {template.CUES[role]!r}")
    if not history or history[0].get("from") != "user":
        problems.append("history does not start with the user's turn")
    for turn in history:
        if turn.get("from") not in ("user", "assistant", "caller", "observation", "conclusion"):
            problems.append(f"history turn from {turn.get('from')!r}")
        elif turn["from"] == "caller" and parse_call(turn.get("value", "")) is None:
            problems.append("a caller turn in the history does not parse")
    if problems:
        return problems
    if role == "planner" and not any(target.endswith(m) for m in template.NEXT.values()):
        problems.append("planner target does not end in ' Next: caller.', ' Next: conclusion.' or ' Next: give up.'")
    if role == "caller":
        problems += call_problems(target, tools, chat_tools)
    if role == "caller" and not (history[-1]["from"] == "assistant" and history[-1]["value"].endswith(template.NEXT["caller"])):
        problems.append("a caller row must follow a planner turn ending in ' Next: caller.'")
    if role == "summarizer" and not (history[-1]["from"] == "assistant"
                                     and history[-1]["value"].endswith(template.NEXT["conclusion"])):
        problems.append("a summarizer row must follow a planner turn ending in ' Next: conclusion.'")
    if role == "backbone":
        if "\nAction: " in "\n" + target:
            problems += call_problems("Action: " + ("\n" + target).rpartition("\nAction: ")[2], tools,
                                      chat_tools)
        elif "\nconclusion: " not in target:
            problems.append("backbone target is neither a call nor a conclusion")
    if text != template.render_input(role, tools, history):
        problems.append("input is not the role's template over the row's tools and serialised history")
    return problems
