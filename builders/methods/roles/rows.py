"""Slicing a trajectory into α-UMi's role rows (GLPFT's prepro_backbone / planner / caller / summarizer).

A trajectory becomes α-UMi's turn list — user, then per step a planner turn (`assistant`), the
caller's call and its observation, and at the end the planner's ` Next: conclusion.` followed by
the summarizer's answer (`conclusion`), or ` Next: give up.` — and each role's rows are cut from it
as upstream does: the row's history is every turn before the target turn.

One deliberate difference in content (none in format): a call that failed stays in the later rows'
history with its error, as ToolBench's data keeps them, but is never a caller or backbone target:
the caller learns only calls that ran.
"""

from __future__ import annotations

import json
from dataclasses import fields

from builders import chat
from builders.methods.roles import template
from builders.methods.roles.records import ROW_KINDS, RoleRow, Step, Trajectory
from builders.record import Record

SYSTEM = {
    "backbone": "You solve the user's request with the tools. Think, then call one tool at a time. When the "
                "results answer the request, give the final answer; give up if the tools cannot serve it.",
    "planner": "You are the planner. Read the request and the results so far, write a short thought about "
               "the next step, and end with Next: caller., Next: conclusion. or Next: give up.",
    "caller": "You are the caller. Make the one tool call that the planner's last thought asks for.",
    "summarizer": "You are the summarizer. Write the final answer to the user from the tool results.",
}

def turns_of(query: str, steps: list[Step], final_answer: str, outcome: str) -> tuple[list[dict], set[int]]:
    """α-UMi's turn list for a trajectory, and the indexes of caller turns whose call failed."""
    turns, failed = [{"from": "user", "value": query}], set()
    for step in steps:
        turns.append({"from": "assistant", "value": template.planner_value(step.thought, step.next)})
        if step.next == "caller":
            if step.status != "ok":
                failed.add(len(turns))
            turns.append({"from": "caller", "value": template.caller_value(step.name, step.arguments)})
            turns.append({"from": "observation", "value": step.observation})
    if outcome == "conclusion":
        turns.append({"from": "conclusion", "value": final_answer})
    return turns, failed


def slices(turns: list[dict], failed: set[int] = frozenset()):
    """(role, i, target): each row's target turn; its history is turns[:i]."""
    for i, turn in enumerate(turns):
        kind, value = turn["from"], turn["value"]
        following = turns[i + 1] if i + 1 < len(turns) else None
        if kind == "assistant":
            gives_up = "Next: give up." in value
            if gives_up or (following is not None and following["from"] in ("caller", "conclusion")):
                yield "planner", i, value
                if not (following is not None and following["from"] == "caller" and i + 1 in failed):
                    yield "backbone", i, template.backbone_span(turn, following)
        elif kind == "caller" and i not in failed:
            yield "caller", i, value
        elif kind == "conclusion" and value != "none":
            yield "summarizer", i, value


def parse_call(value: str) -> tuple[str, dict] | None:
    """`Action: NAME\\nAction Input: {json}` → (name, arguments); None when it does not parse."""
    head, sep, rest = value.partition("\nAction Input: ")
    if not sep or not head.startswith("Action: "):
        return None
    name = head[len("Action: "):]
    try:
        arguments = json.loads(rest)
    except ValueError:
        return None
    if not name or "\n" in name or not isinstance(arguments, dict):
        return None
    return name, arguments


def chat_history(turns: list[dict], call_ids: list[str]) -> list[dict]:
    """α-UMi turns in the chat contract: planner and summarizer turns are assistant text, calls are
    tool_calls, observations are tool results tied to their call."""
    out, last = [], None
    for i, turn in enumerate(turns):
        kind, value = turn["from"], turn["value"]
        if kind == "user":
            out.append(chat.user(value))
        elif kind in ("assistant", "conclusion"):
            out.append(chat.assistant(value))
        elif kind == "caller":
            name, arguments = parse_call(value) or ("", {})
            last = (call_ids[i], name)
            out.append(chat.tool_call(call_ids[i], name, arguments))
        elif kind == "observation" and last is not None:
            out.append(chat.tool_result(last[0], last[1], value))
    return out


def _target_message(role: str, target: str, call_id: str) -> dict:
    if role == "caller":
        name, arguments = parse_call(target)
        return chat.tool_call(call_id, name, arguments)
    if role == "backbone" and "\nAction: " in "\n" + target:
        thought, _, call = ("\n" + target).rpartition("\nAction: ")
        name, arguments = parse_call("Action: " + call)
        message = chat.tool_call(call_id, name, arguments)
        return {**message, "content": thought.strip()}
    return chat.assistant(target)


def role_rows(turns: list[dict], failed: set[int], specs: list[dict], *, trajectory: str, outcome: str,
              base: dict) -> list[RoleRow]:
    """Every role row of one trajectory. `base` holds the Record fields the rows share (provenance,
    split, group); each row's id is `<trajectory>/<role>/<turn>`, and its group the trajectory's (or its id)."""
    api = [template.api_entry(s) for s in specs]
    chat_tools = [chat.tool_entry(s) for s in specs]
    call_ids = [chat.call_id(trajectory, i) for i in range(len(turns) + 1)]
    rows = []
    for role, i, target in slices(turns, failed):
        history = turns[:i]
        messages = [chat.system(SYSTEM[role]), *chat_history(history, call_ids),
                    _target_message(role, target, call_ids[i + 1 if role == "backbone" else i])]
        rows.append(ROW_KINDS[role](
            **{"group": trajectory, **base, "id": f"{trajectory}/{role}/{i}"},
            role=role, umi_tools=api, history=[dict(t) for t in history],
            input=template.render_input(role, api, history), target=target, messages=messages,
            tools=chat_tools, trajectory=trajectory, outcome=outcome))
    return rows


_SHARED = ("group", "split", "method", "switches", "run_hash", "recipe", "model", "model_sha256", "seed")


def shared_fields(record: Record | dict) -> dict:
    """The provenance and split a derived row inherits from the record it was sliced from."""
    get = record.get if isinstance(record, dict) else (lambda k, d=None: getattr(record, k, d))
    names = {f.name for f in fields(Record)}
    return {k: get(k) for k in _SHARED if k in names and get(k) is not None}


def from_trajectory(traj: Trajectory) -> list[RoleRow]:
    """The role rows of one accepted multi-step trajectory."""
    turns, failed = turns_of(traj.query, traj.steps, traj.final_answer, traj.outcome)
    specs = [t["function"] for t in traj.tools]
    return role_rows(turns, failed, specs, trajectory=traj.id, outcome=traj.outcome, base=shared_fields(traj))


def _spec(entry: dict) -> dict:
    return entry["function"] if "function" in entry and isinstance(entry["function"], dict) else entry


def from_single_call(example: Record | dict, tools: list[dict]) -> list[RoleRow]:
    """Role rows from one STE example (query, action, action_input, observation, final_answer): one
    call, then the answer. STE has no planner rationale, so the two planner turns are written from
    a template that names the tool; the caller and summarizer targets are STE's own.
    `tools`: the specs offered, plain {name, description, parameters} or chat-contract entries."""
    get = example.get if isinstance(example, dict) else (lambda k, d=None: getattr(example, k, d))
    arguments = get("action_input")
    if isinstance(arguments, str):
        arguments = json.loads(arguments)
    name, example_id = get("action"), get("id") or ""
    steps = [
        Step(thought=f"The user's request can be served by {name}, called with the values it gives.",
             next="caller", name=name, arguments=arguments, status="ok", observation=get("observation")),
        Step(thought=f"{name} returned the result the user asked for, so I can answer now.", next="conclusion"),
    ]
    turns, failed = turns_of(get("query"), steps, get("final_answer"), "conclusion")
    trajectory = example_id or chat.call_id(get("query"), name, json.dumps(arguments, sort_keys=True))
    base = {**shared_fields(example), "method": get("method") or ""}
    return role_rows(turns, failed, [_spec(t) for t in tools], trajectory=trajectory, outcome="conclusion", base=base)
