"""α-UMi's row format: the invariant checker on the published reference rows and on ours, byte-for-byte
reconstruction of the reference rows by our slicing, and a Parquet round trip of the role configs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builders.methods.roles import rows, template
from builders.methods.roles.invariants import row_problems
from builders.methods.roles.records import ROW_KINDS
from builders.record import decode_row, to_table
from builders.tools import builtin_tools

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "alpha-umi"
ROLES = ("backbone", "planner", "caller", "summarizer")


def reference(role: str) -> list[dict]:
    path = REFERENCE / f"{role}.json"
    if not path.exists():
        pytest.skip(f"no reference rows at {path}")
    return json.loads(path.read_text())


@pytest.mark.parametrize("role", ROLES)
def test_reference_rows_satisfy_the_invariants(role):
    for row in reference(role):
        assert row_problems(row, role) == []


@pytest.mark.parametrize("role,breakage", [
    ("planner", lambda r: r.update(target=r["target"].replace(" Next: caller.", " Next: the caller."))),
    ("caller", lambda r: r.update(target=r["target"].replace("Action: ", "Action: no_such_api_", 1))),
    ("caller", lambda r: r.update(target=r["target"].replace("Action Input: {", 'Action Input: {"extra": 1, ', 1)
                                  if r["target"].endswith("}") and "{}" not in r["target"] else r["target"] + "x")),
    ("summarizer", lambda r: r.update(input=r["input"][:-len(" conclusion: ")] + " assistant: ")),
    ("planner", lambda r: r.update(input=r["input"].replace("</s>", "\n", 1))),      # another serialisation
    ("backbone", lambda r: r["history"].append({"from": "function", "value": "{}"})),
])
def test_the_checker_catches_broken_rows(role, breakage):
    row = copy.deepcopy(reference(role)[0])
    breakage(row)
    assert row_problems(row, role)


def test_our_slicing_rebuilds_the_reference_rows_byte_for_byte():
    """The email trajectory appears in every reference file: rebuild its turns from the summarizer row
    and slice them with our code; each reference row must come out identical."""
    summarizer = next(r for r in reference("summarizer") if "email" in r["input"])
    turns = summarizer["history"] + [{"from": "conclusion", "value": summarizer["target"]}]
    ours = {}
    for role, i, target in rows.slices(turns):
        history = turns[:i]
        ours.setdefault(role, []).append({"tools": summarizer["tools"], "history": history,
                                          "input": template.render_input(role, summarizer["tools"], history),
                                          "target": target})
    for role in ROLES:
        wanted = [r for r in reference(role) if "validate_email_address" in r["input"]]
        assert wanted, role
        for row in wanted:
            assert json.dumps(row, indent=2) in {json.dumps(o, indent=2) for o in ours[role]}, role


def test_ste_single_call_rows_and_parquet_round_trip(tmp_path):
    tool = builtin_tools()["calculator"]
    made = rows.from_single_call(
        {"id": "run-ste-calculator-0-0", "split": "test", "run_hash": "run", "method": "ste", "query": "What is 12.5 times 4, divided by 3?",
         "action": "calculator", "action_input": '{"expression": "(12.5 * 4) / 3"}', "observation": "16.666666666666668",
         "final_answer": "It is about 16.67."}, [{"type": "function", "function": tool.spec()}])
    assert sorted(r.role for r in made) == ["backbone", "backbone", "caller", "planner", "planner", "summarizer"]
    assert {r.split for r in made} == {"test"} and {r.method for r in made} == {"ste"}
    caller = next(r for r in made if r.role == "caller")
    assert caller.target == 'Action: calculator\nAction Input: {\n  "expression": "(12.5 * 4) / 3"\n}'
    assert caller.umi_tools == [template.api_entry(tool.spec())]
    assert caller.tools == [{"type": "function", "function": tool.spec()}]   # the chat contract's column
    assert caller.messages[0]["role"] == "system" and caller.messages[-1]["tool_calls"][0]["function"] == {
        "name": "calculator", "arguments": {"expression": "(12.5 * 4) / 3"}}
    for role in ROLES:
        kind = ROW_KINDS[role]
        mine = [r for r in made if r.role == role]
        path = tmp_path / f"{role}.parquet"
        pq.write_table(to_table(kind, mine), path)
        table = pq.read_table(path)
        assert str(table.schema.field("history").type) == "list<element: extension<arrow.json>>"
        back = [decode_row(kind, row) for row in table.to_pylist()]
        assert back == [r.to_row() for r in mine]
        for row, made_row in zip(back, mine):
            export = {"tools": row["umi_tools"], **{k: row[k] for k in ("history", "input", "target")}}
            assert export == made_row.umi()                                 # α-UMi's JSON as its code reads it
            assert row_problems(export, role, row["tools"]) == []
            assert row["input"].endswith(template.CUES[role])
            assert json.loads(json.dumps(export)) == export


def test_tool_entries_follow_toolbench():
    entry = template.api_entry(builtin_tools()["city_distance"].spec())
    assert list(entry) == ["Name", "function", "input"]
    assert entry["input"]["from_city"].startswith("string, ")
    assert entry["input"]["unit"].startswith("string, ") and "one of km, mi, nmi" in entry["input"]["unit"]
    assert entry["input"]["unit"].endswith("(optional)")
