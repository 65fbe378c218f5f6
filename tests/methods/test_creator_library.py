"""The tool library: dedup by AST hash, Parquet round trip, retrieval, reuse, loading as tools."""

import pyarrow.parquet as pq
import pytest

from builders.errors import UserError
from builders.methods.base import Context, Unit
from builders.methods.creator import CREATOR, programs
from builders.methods.creator.library import Library, combine, load_library_tools, read_library
from builders.methods.creator.problems import Problem
from builders.methods.creator.records import LibraryTool
from builders.record import schema_problems, to_table
from sandbox import Sandbox
from sandbox.limits import Limits
from tests.methods.test_creator_stages import CALL, FENCED, PROBLEM, TOOL
from tests.scripted import ScriptedLLM

DAYS = '''import datetime

def days_between(start: str, end: str) -> int:
    """Number of days from one ISO date to another.

    Args:
        start: first date, YYYY-MM-DD
        end: second date, YYYY-MM-DD
    """
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days'''


def spec(name, description, props):
    return {"name": name, "description": description,
            "parameters": {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}}


CI_SPEC = spec("compound", "Money after compounding interest yearly.",
               {"principal": {"type": "number"}, "rate": {"type": "number"}, "years": {"type": "integer"}})
DAYS_SPEC = spec("days_between", "Number of days from one ISO date to another.",
                 {"start": {"type": "string"}, "end": {"type": "string"}})


def row(pid, code, name, spec_, correct=True, reused="created", question="q"):
    return {"problem_id": pid, "question": question, "category": pid.split("/")[0], "correct": correct,
            "tool_code": code, "tool_name": name, "tool_spec": spec_, "tool_hash": programs.ast_hash(code, name),
            "reused": reused}


ROWS = [
    row("arithmetic/ci/1", TOOL, "compound", CI_SPEC, question="You deposit $2000 at 2% interest compounded yearly."),
    row("arithmetic/ci/2", TOOL.replace('"""Money after', '"""Balance after'), "compound", CI_SPEC, reused="group"),
    row("arithmetic/ci/3", TOOL.replace("compound", "grow"), "grow", {**CI_SPEC, "name": "grow"}),  # same tree
    row("dates/d/1", DAYS, "days_between", DAYS_SPEC, question="How many days are there from May 1 to June 3?"),
    row("dates/d/2", DAYS.replace(".days", ".days + 1"), "days_between", DAYS_SPEC),   # another tool, same name
    row("dates/d/3", DAYS, "days_between", DAYS_SPEC, correct=False),                 # wrong: not evidence
]


def test_combine_deduplicates_by_normalised_ast():
    tools = combine(ROWS, {"run_hash": "r1", "recipe": "creator", "ignored": 1})
    assert len(tools) == 3
    by_hash = {t.ast_hash: t for t in tools}
    ci = by_hash[programs.ast_hash(TOOL)]
    assert ci.problems == ["arithmetic/ci/1", "arithmetic/ci/2", "arithmetic/ci/3"] and ci.uses == 3 and ci.reuses == 1
    assert ci.categories == ["arithmetic"] and ci.run_hash == "r1" and ci.accepted
    names = sorted(t.name for t in tools)
    assert names[0] == "compound" and names[1] == "days_between" and names[2].startswith("days_between_")
    assert all(schema_problems(t) == [] for t in tools)
    assert combine(list(reversed(ROWS))) == combine(ROWS, {})  # order of reading does not matter


def write_library(folder, rows=ROWS):
    (folder / "tools").mkdir(parents=True)
    pq.write_table(to_table(LibraryTool, combine(rows)), folder / "tools" / "train-00000-of-00001.parquet")
    return folder


def test_read_library_from_folder_or_file(tmp_path):
    write_library(tmp_path / "run1")
    rows = read_library(tmp_path / "run1")
    assert len(rows) == 3 and isinstance(rows[0]["parameters"], dict)
    assert read_library(tmp_path / "run1" / "tools") == rows
    assert read_library(tmp_path / "run1" / "tools" / "train-00000-of-00001.parquet") == rows
    with pytest.raises(UserError, match="no such tool library"):
        read_library(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no tools Parquet file"):
        read_library(tmp_path / "empty")
    pq.write_table(to_table(LibraryTool, []).drop_columns(["code"]), tmp_path / "empty" / "x.parquet")
    with pytest.raises(UserError, match="not a tool library: no column"):
        read_library(tmp_path / "empty")


def test_retrieval_by_problem_text(tmp_path):
    library = Library(read_library(write_library(tmp_path / "run1")))
    assert library.retrieve("How many days are there from March 3 to April 9?")["function"] == "days_between"
    assert library.retrieve("I deposit $500 at 4% interest for 3 years")["function"] == "compound"
    assert library.retrieve("zebra xylophone") is None
    assert library.retrieve("interest", min_score=100) is None


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=5)) as sandbox:
        yield sandbox


def test_a_new_run_reuses_a_library_tool_first(box, tmp_path):
    folder = write_library(tmp_path / "run1")
    problem = Problem(id="new/1", question="You deposit $1000 at 3% interest per year, compounded yearly. How much "
                      "after 3 years? Round to the nearest cent.", answer="1092.73")

    class Recipe:
        method = {"problems": [str(tmp_path / "p.jsonl")], "library": "run1", "grammar": False}
        base_dir, seed = str(tmp_path), 0
    (tmp_path / "p.jsonl").write_text('{"id": "new/1", "question": "%s", "answer": "1092.73"}\n' % problem.question)
    units = CREATOR().units(Recipe, [])
    assert units[0].data["library"] == str(folder) and units[0].group == "new/1"
    ctx = Context(engine=ScriptedLLM(["```python\nprint('Final Answer:', compound(1000, 3, 3))\n```"]), sandbox=box,
                  tools={}, settings=CREATOR().settings(Recipe.method))
    (row,) = CREATOR().run(units, ctx)
    assert row.reused == "library" and row.correct and row.creations == 0
    assert row.reused_from == programs.ast_hash(TOOL) and row.tool_hash == row.reused_from
    # a library tool that yields no answer gives way to a new one; both tries are recorded
    ctx = Context(engine=ScriptedLLM(["print(1)", "print(2)", FENCED, f"```python\n{CALL.replace('2000, rate=2, years=8', '1000, rate=3, years=3')}\n```"]),
                  sandbox=box, tools={}, settings=CREATOR().settings({**Recipe.method, "max_rounds": 1}))
    (row,) = CREATOR().run(units, ctx)
    assert row.reused == "created" and row.correct
    assert [a.stage for a in row.attempts] == ["decision", "rectification", "creation", "decision"]


def test_library_loads_as_tools_the_sandbox_runs(box, tmp_path):
    write_library(tmp_path / "run1")
    tools = load_library_tools(tmp_path / "run1", tmp_path / "py")
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {"compound", "days_between"} | {n for n in by_name if n.startswith("days_between_")}
    days = by_name["days_between"]
    assert days.target["file"].startswith(str(tmp_path / "py")) and days.target["function"] == "days_between"
    assert days.source.startswith("library:") and len(days.version) == 12
    result = box.call_tool(days.target, {"start": "2024-01-01", "end": "2024-03-01"})
    assert result["status"] == "ok" and result["value"] in (60, 61)
    assert box.call_tool(by_name["compound"].target, {"principal": 100, "rate": 10, "years": 2})["value"] == 121.0
    again = load_library_tools(tmp_path / "run1", tmp_path / "py")
    assert [t.to_dict() for t in again] == [t.to_dict() for t in tools]
