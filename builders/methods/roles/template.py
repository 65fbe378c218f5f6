"""α-UMi's own row format, byte for byte: its prompt templates, tool entries and history serialisation.

The templates are GLPFT's `utils/prompt_lib.py` (X-PLUG/Multi-LLM-Agent) for ToolBench, unchanged —
typo included ("You have assess to the following apis") — because α-UMi's training code reads only
`input` and `target` and trains on `'system: ' + input + target + '</s>'`; a row that differs by a
character is a different prompt. The history serialisation is the loop its prepro_*.py scripts
share: every turn ends in `</s>` except observations.
"""

from __future__ import annotations

import json

DOC = "You have assess to the following apis:\n{doc}\nThe conversation history is:\n{history}\n"

TEMPLATES = {
    "backbone": DOC + (
        "You should answer the action of next step in the following format:\n"
        "The thought to solve the question,\n"
        "Action: the name of api that should be called in this step, should be exactly in [{tool_names}],\n"
        "Action Input: the api call request.\n"
        "Once you think the question is finished, output conclusion: the final answer of the question "
        "or give up if you think you cannot answer this question.\n"),
    "planner": DOC + (
        "You are the assistant to plan what to do next and whether is caller's or conclusion's turn to answer.\n"
        "Answer with a following format:\n"
        "The thought of the next step, followed by Next: caller or conclusion or give up."),
    "caller": DOC + (
        "The thought of this step is:\n{thought}\n"
        "Base on the thought make an api call in the following format:\n"
        "Action: the name of api that should be called in this step, should be exactly in [{tool_names}],\n"
        "Action Input: the api call request."),
    "summarizer": "Make a conclusion based on the conversation history:\n{history}",
}

CUES = {"backbone": " assistant: ", "planner": " assistant: ", "caller": " caller: ", "summarizer": " conclusion: "}
"""Each role's prompt ends in its cue; the summarizer's role is named `conclusion` in the data."""

NEXT = {"caller": " Next: caller.", "conclusion": " Next: conclusion.", "give up": " Next: give up."}
"""The planner's target ends in one of these (ToolBench's assistant turn + '\\n' + marker)."""

_ROLE_OF_TURN = ("user", "assistant", "caller", "observation", "conclusion")


def api_entry(spec: dict) -> dict:
    """A function spec as ToolBench lists it: {Name, function, input: {arg: "type, description"}}."""
    props = (spec.get("parameters") or {}).get("properties") or {}
    required = set((spec.get("parameters") or {}).get("required") or ())
    inputs = {}
    for name, schema in props.items():
        described = schema.get("description", "")
        if "enum" in schema:
            described = (described + "; " if described else "") + "one of " + ", ".join(map(str, schema["enum"]))
        if name not in required:
            described = (described + " " if described else "") + "(optional)"
        inputs[name] = f"{type_name(schema)}, {described}"
    return {"Name": spec["name"], "function": spec.get("description", ""), "input": inputs}


def type_name(schema: dict) -> str:
    """The JSON type of a parameter as one word ("string", "integer"…); alternatives joined by |."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        return "|".join(k for k in kind if k != "null") or "null"
    options = [type_name(s) for s in schema.get("anyOf") or schema.get("oneOf") or () if s.get("type") != "null"]
    return "|".join(o for o in options if o) or "any"


def tool_doc(tools: list[dict]) -> str:
    """The tool list as the prompt carries it: one `json.dumps(entry)` per line (ASCII-escaped, as upstream)."""
    return "".join(json.dumps(t) + "\n" for t in tools)


def serialise(history: list[dict]) -> str:
    """The conversation so far as α-UMi's planner, caller and summarizer prompts carry it."""
    out = ""
    for turn in history:
        kind, value = turn["from"], turn["value"]
        if kind not in _ROLE_OF_TURN:
            raise ValueError(f"unknown turn {kind!r}")
        out += f"{kind}: {value}" + ("" if kind == "observation" else "</s>")
    return out


def backbone_span(turn: dict, following: dict | None) -> str:
    """The backbone sees a planner turn merged with what followed it (its call or its conclusion)."""
    value = turn["value"]
    if NEXT["give up"].strip() in value:
        return value.replace("Next: give up.", "").strip() + "\nconclusion: give up."
    if following is not None and following["from"] == "caller":
        return value.replace("Next: caller.", "").strip() + "\n" + following["value"]
    if following is not None and following["from"] == "conclusion":
        return value.replace("Next: conclusion.", "").strip() + "\nconclusion: " + following["value"]
    return value


def serialise_backbone(history: list[dict]) -> str:
    """The backbone's history: user turns, merged planner spans, observations (prepro_backbone.py)."""
    out = ""
    for i, turn in enumerate(history):
        if turn["from"] == "user":
            out += f"user: {turn['value']}</s>"
        elif turn["from"] == "assistant":
            following = history[i + 1] if i + 1 < len(history) else None
            out += f"assistant: {backbone_span(turn, following)}</s>"
        elif turn["from"] == "observation":
            out += f"observation: {turn['value']}"
    return out


def render_input(role: str, tools: list[dict], history: list[dict]) -> str:
    """A row's `input`: the role's template filled in, ending in the role's cue."""
    names = ", ".join(t["Name"] for t in tools)
    text = TEMPLATES[role].replace("{doc}", tool_doc(tools)).replace("{tool_names}", names)
    serial = serialise_backbone(history) if role == "backbone" else serialise(history)
    if role == "caller":
        text = text.replace("{history}", serial).replace("{thought}", history[-1]["value"])
    else:
        text = text.replace("{history}", serial)
    return text + CUES[role]


def caller_value(name: str, arguments: dict) -> str:
    """A caller turn: `Action: NAME\\nAction Input: {json}` (ToolBench's arguments are indented JSON)."""
    return f"Action: {name}\nAction Input: {json.dumps(arguments, indent=2, ensure_ascii=False)}"


def planner_value(thought: str, next_: str) -> str:
    """A planner turn: the rationale, a newline, then the marker (' Next: caller.' …)."""
    return thought.strip() + "\n" + NEXT[next_]
