"""Gold items: a request, the tools offered, and the calls that answer it. From a toolmint dataset's
test split (seed queries never in train, paraphrases beside their seed) or a user's JSONL; BFCL's
own sets are in bfcl.py. Every item carries BFCL's "possible answer" form (matching.py), made from a
plain call by `possible`: the gold value, and "may be left out" for an optional parameter at its
default or not used by the gold call at all."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from builders.errors import UserError
from builders.evaluation.matching import OPTIONAL


@dataclass(frozen=True)
class GoldItem:
    id: str
    messages: list[dict]            # the conversation up to the call: the request, earlier calls on a state
    tools: list[dict]               # function specs {name, description, parameters (JSON Schema)}
    answers: list[dict]             # possible answers [{name: {param: [values]}}]; [] = no call is right
    calls: list[dict] = field(default_factory=list)  # the gold calls as made {name, arguments}; for execution
    category: str = ""

    @property
    def request(self) -> str:
        return next((m.get("content") or "" for m in reversed(self.messages) if m.get("role") == "user"), "")


def possible(call: dict, spec: dict | None) -> dict:
    """A plain gold call as a possible answer: its values; `""` where the model may leave a parameter
    out (optional and at its default), and the tool's other optional parameters allowed at their
    default or absent."""
    params = (spec or {}).get("parameters") or {}
    props, required = params.get("properties") or {}, set(params.get("required") or [])
    answer = {}
    for name, value in (call.get("arguments") or {}).items():
        schema = props.get(name) if isinstance(props.get(name), dict) else {}
        answer[name] = [value] + ([OPTIONAL] if name not in required and schema.get("default") == value
                                  and "default" in schema else [])
    for name, schema in props.items():
        if name not in answer and name not in required:
            answer[name] = [OPTIONAL] + ([schema["default"]] if isinstance(schema, dict) and "default" in schema else [])
    return {call["name"]: answer}


def _spec(tool: dict) -> dict:
    """A function spec from the chat contract's {type: function, function: {...}} or a bare spec."""
    return tool.get("function", tool) if isinstance(tool, dict) else {}


def item_from_calls(item_id: str, messages: list[dict], tools: list[dict], calls: list[dict],
                    category: str = "") -> GoldItem:
    specs = {t.get("name"): t for t in tools}
    return GoldItem(id=item_id, messages=messages, tools=tools, calls=calls, category=category,
                    answers=[possible(c, specs.get(c["name"])) for c in calls])


def from_dataset(folder: str | Path, split: str = "test") -> list[GoldItem]:
    """The `ste_sft` rows of a split: the conversation before the row's (last) call, and that call."""
    import pyarrow.parquet as pq

    from builders.methods import evaluation_parts
    from builders.record import decode_row

    Example = evaluation_parts()[0]

    files = sorted((Path(folder) / Example.config).glob(f"{split}-*.parquet"))
    if not files:
        raise UserError(f"{folder}: no {Example.config}/{split}-*.parquet: not a toolmint STE dataset, or it has no "
                        f"{split} split (method.test_fraction)")
    items = []
    for path in files:
        for row in pq.read_table(path).to_pylist():
            row = decode_row(Example, row)
            if not row.get("action"):
                continue
            messages = row["messages"]
            last = max(i for i, m in enumerate(messages) if m.get("role") == "assistant" and m.get("tool_calls"))
            items.append(item_from_calls(
                row["id"], messages[:last], [_spec(t) for t in row["tools"]],
                [{"name": row["action"], "arguments": row["action_input"]}],
                "paraphrase" if row.get("paraphrase_of") else "seed"))
    if not items:
        raise UserError(f"{folder}: {Example.config}/{split}-*.parquet hold no rows")
    return items


def from_jsonl(path: str | Path, tools: dict[str, dict] | None = None) -> list[GoldItem]:
    """A user's gold set, one JSON object a line:
    {"id": "…", "request": "…" (or "messages": […]), "tools": [specs or built-in names] (or --tools),
     "calls": [{"name", "arguments"}] (or BFCL's "ground_truth": [{name: {param: [values]}}])}."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the gold file: {exc.strerror or exc}") from None
    items, problems = [], []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            items.append(_jsonl_item(json.loads(line), n, tools or {}))
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON: {exc.msg} (column {exc.colno})")
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise UserError(*problems)
    if not items:
        raise UserError(f"{path}: no gold items")
    return items


def _jsonl_item(obj, n: int, known: dict[str, dict]) -> GoldItem:
    if not isinstance(obj, dict):
        raise ValueError("a line must be a JSON object")
    if isinstance(obj.get("request"), str) and obj["request"].strip():
        messages = [{"role": "user", "content": obj["request"]}]
    elif isinstance(obj.get("messages"), list) and obj["messages"]:
        messages = obj["messages"]
    else:
        raise ValueError("request: missing (a non-empty string; or messages: a list of chat messages)")
    tools = []
    for i, t in enumerate(obj.get("tools", list(known))):
        if isinstance(t, str):
            if t not in known:
                raise ValueError(f"tools[{i}]: unknown tool {t!r} (give its spec, or name it with --tools)")
            tools.append(known[t])
        elif isinstance(t, dict) and isinstance(_spec(t).get("name"), str):
            tools.append(_spec(t))
        else:
            raise ValueError(f"tools[{i}]: a tool name or a function spec with a name")
    if not tools:
        raise ValueError("tools: missing (specs or built-in names on the line, or --tools)")
    item_id = str(obj.get("id", f"line-{n}"))
    if "ground_truth" in obj:
        truth = obj["ground_truth"]
        if not isinstance(truth, list) or not all(isinstance(g, dict) and len(g) == 1 and
                                                  isinstance(next(iter(g.values())), dict) for g in truth):
            raise ValueError("ground_truth: a list of {tool name: {parameter: [acceptable values]}}")
        return GoldItem(id=item_id, messages=messages, tools=tools, answers=truth, category=str(obj.get("category", "")))
    calls = obj.get("calls")
    if not isinstance(calls, list):
        raise ValueError("calls: missing (a list of {name, arguments}; [] when no call is right)")
    for i, c in enumerate(calls):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not isinstance(c.get("arguments", {}), dict):
            raise ValueError(f"calls[{i}]: must be {{\"name\": str, \"arguments\": object}}")
        if c["name"] not in {t["name"] for t in tools}:
            raise ValueError(f"calls[{i}].name: {c['name']!r} is not one of the item's tools")
    return item_from_calls(item_id, messages, tools, [{"name": c["name"], "arguments": c.get("arguments", {})}
                                                      for c in calls], str(obj.get("category", "")))
