"""BFCL's own gold sets (Berkeley Function Calling Leaderboard, v4), read from the installed wheel
`bfcl-eval==2026.3.23` (`pip install --no-deps`: its data files only, none of its SDKs); nothing is
downloaded. `bfcl_eval/data/BFCL_v4_<set>.json` holds the questions and functions,
`possible_answer/` the acceptable calls; the irrelevance sets have none (no call is right).
BFCL's parameter types ("dict", "float", "tuple", "any") are turned into JSON Schema for the
model's chat template; matching.py reads both."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from builders.errors import UserError
from builders.evaluation.gold import GoldItem

VERSION = "2026.3.23"
SETS = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance", "live_simple",
        "live_multiple", "live_parallel", "live_parallel_multiple", "live_irrelevance")
SCHEMA_TYPES = {"dict": "object", "float": "number", "tuple": "array"}


def data_dir() -> Path:
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"bfcl: the BFCL data is not installed: pip install --no-deps bfcl-eval=={VERSION}")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def to_schema(value):
    """BFCL's parameter types as JSON Schema ("any": no type)."""
    if isinstance(value, list):
        return [to_schema(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: to_schema(v) for k, v in value.items() if not (k == "type" and v == "any")}
    if isinstance(value.get("type"), str):
        if value["type"] != "any":
            out["type"] = SCHEMA_TYPES.get(value["type"], value["type"])
    return out


def _read(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not JSON lines: {exc.msg} (line {exc.lineno})") from None


def load(name: str) -> list[GoldItem]:
    """A BFCL set by name (`simple_python`, `multiple`, …): single-turn items with their functions."""
    if name not in SETS:
        raise UserError(f"bfcl:{name}: unknown BFCL set; one of {', '.join(SETS)}")
    data = data_dir()
    questions = _read(data / f"BFCL_v4_{name}.json")
    answers = {} if "irrelevance" in name else {a["id"]: a["ground_truth"]
                                                for a in _read(data / "possible_answer" / f"BFCL_v4_{name}.json")}
    items = []
    for q in questions:
        if q["id"] not in answers and "irrelevance" not in name:
            raise UserError(f"{data / 'possible_answer' / f'BFCL_v4_{name}.json'}: no ground_truth for {q['id']}")
        items.append(GoldItem(id=q["id"], messages=list(q["question"][0]), tools=to_schema(q["function"]),
                              answers=answers.get(q["id"], []), category=name))
    return items
