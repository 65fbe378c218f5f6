"""CREATOR's stages with a scripted model and the real sandbox."""

import os

import pytest

from builders.methods.base import Context, Unit
from builders.methods.creator import CREATOR, programs
from builders.methods.creator.chatform import grounded
from builders.methods.creator.creation import Tool, check_tool, create_tool
from builders.methods.creator.decision import decide
from builders.methods.creator.execution import execute
from builders.methods.creator.problems import Problem
from builders.methods.creator.records import CHECKS, CreatorRow
from builders.methods.creator.rectification import rectify, repaired
from builders.methods.creator.trajectory import run_problem
from builders.llm import Usage
from builders.record import json_schema, schema_problems
from sandbox import Sandbox
from sandbox.limits import Limits
from tests.scripted import ScriptedLLM

TOOL = '''def compound(principal: float, rate: float, years: int) -> float:
    """Money after compounding interest yearly.

    Args:
        principal: money deposited
        rate: yearly interest in percent
        years: number of years
    """
    return round(principal * (1 + rate / 100) ** years, 2)'''
FENCED = f"Sure! Here is a tool:\n```python\n{TOOL}\n```\nHope this helps."
CALL = 'print("Final Answer:", compound(principal=2000, rate=2, years=8))'
PROBLEM = Problem(id="ci/1", question="You deposit $2000 at 2% interest per year, compounded yearly. "
                  "How much is in the account after 8 years? Round to the nearest cent.", answer="$2343.32",
                  group="ci", category="arithmetic")


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=5)) as sandbox:
        yield sandbox


def ctx_for(box, replies, **settings):
    settings.setdefault("grammar", False)  # the free-form path; grammar mode has its own tests
    return Context(engine=ScriptedLLM(replies), sandbox=box, tools={}, settings=CREATOR().settings(settings),
                   provenance={"run_hash": "0123456789abcdef", "recipe": "t", "model": "m"})


def judge(row):
    reasons = [r for c in CHECKS if c.applies(row) for r in [c.fn(row)] if r]
    return row.with_verdict(sorted(set(reasons)))


# ----------------------------------------------------------------------------- code from sloppy replies

@pytest.mark.parametrize("reply", [
    FENCED, f"```\n{TOOL}\n```", f"```py\n{TOOL}", f"Here you go:\n{TOOL}\n\nThis function computes interest.",
    f"```python\n{TOOL}\n```\n```python\n{CALL}\n```",
])
def test_extract_code_tolerates_sloppy_replies(reply):
    code = programs.extract_code(reply)
    assert programs.parses(code) and programs.tool_function(code) == "compound"


def test_split_program_and_hash():
    code = f"import math\n{TOOL}\n\nif __name__ == '__main__':\n    {CALL}\nprint(1)"
    tool, rest = programs.split_program(code)
    assert tool.startswith("import math") and "def compound" in tool and "print" not in tool
    assert rest == f"{CALL}\nprint(1)"
    renamed = TOOL.replace("compound", "grow").replace("Money after", "Balance after")
    assert programs.ast_hash(TOOL) == programs.ast_hash(renamed)          # docstring and own name ignored
    assert programs.ast_hash(TOOL) != programs.ast_hash(TOOL.replace("** years", "** (years + 1)"))


# ----------------------------------------------------------------------------- creation

def test_creation_extracts_spec_in_the_sandbox(box, tmp_path):
    """Defining the model's function runs its decorators and defaults: only in the sandbox."""
    marker = tmp_path / "ran_here"

    def decorated(body):
        return f"def _mark(f):\n    import os\n{body}    return f\n\n@_mark\n{TOOL}"
    env = "    os.environ['TOOLMINT_CREATOR_RAN'] = '1'\n"
    write = f"    open({str(marker)!r}, 'w').write('x')\n"
    created = create_tool(ctx_for(box, [f"```python\n{decorated(env + write)}\n```"], max_regenerations=0),
                          PROBLEM.prompt(), 1, Usage())
    assert created.tool is None and created.attempts[0].status == "definition_error"
    assert "PermissionError" in created.attempts[0].error and not marker.exists()
    created = create_tool(ctx_for(box, [f"```python\n{decorated(env)}\n```"]), PROBLEM.prompt(), 1, Usage())
    assert created.tool.name == "compound" and "TOOLMINT_CREATOR_RAN" not in os.environ
    created = create_tool(ctx_for(box, [FENCED]), PROBLEM.prompt(), 1, Usage())
    spec = created.tool.spec
    assert spec["name"] == "compound" and spec["description"] == "Money after compounding interest yearly."
    assert spec["parameters"]["properties"]["years"] == {"type": "integer", "description": "number of years"}
    assert spec["parameters"]["required"] == ["principal", "rate", "years"]


def test_creation_regenerates_with_feedback(box):
    replies = ["```python\ndef f(x):\n    return x +\n```", "I cannot write code.",
               "```python\ndef total(*xs: float) -> float:\n    \"\"\"Sum.\"\"\"\n    return sum(xs)\n```", FENCED]
    ctx = ctx_for(box, replies, max_regenerations=3)
    created = create_tool(ctx, PROBLEM.prompt(), 1, Usage())
    assert [a.status for a in created.attempts] == ["syntax_error", "no_function", "definition_error", "ok"]
    assert created.tool.name == "compound"
    asks = [c["messages"][-1]["content"] for c in ctx.engine.calls]
    assert "SyntaxError at line 2" in asks[1] and "takes *xs" in asks[3]


def test_creation_gives_up_after_n_regenerations(box):
    created = create_tool(ctx_for(box, ["no code"] * 2, max_regenerations=1), PROBLEM.prompt(), 1, Usage())
    assert created.tool is None and created.failure == "no_function" and len(created.attempts) == 2


def test_undocumented_unhinted_tool_is_usable_but_marked(box):
    code = "```python\ndef add(a, b=1.5):\n    return a + b\n```"
    created = create_tool(ctx_for(box, [code], max_regenerations=0), "Add", 1, Usage())
    assert created.tool is not None and not created.tool.documented
    assert created.tool.spec["parameters"]["properties"] == {"a": {}, "b": {"type": "number", "default": 1.5}}


# ----------------------------------------------------------------------------- decision and execution

def test_decision_drops_a_pasted_tool(box):
    tool = Tool(TOOL, "compound", {})
    code = decide(ctx_for(box, [f"```python\n{TOOL.replace('round(', 'int(')}\n\n{CALL}\n```"]), "p", tool, 1, Usage())
    assert code == CALL


def test_execution_answers_and_records_calls(box):
    ex = execute(ctx_for(box, []), TOOL, f"x = compound(2000, 2, years=8)\n{CALL}", "compound")
    assert ex.status == "ok" and ex.answer == "2343.32"
    assert ex.calls == [{"arguments": {"principal": 2000, "rate": 2, "years": 8}, "result": 2343.32}] * 2


@pytest.mark.parametrize("decision,status,error", [
    ("print('Final Answer:', compound(1, 2))", "error",
     "calling code line 1: print('Final Answer:', compound(1, 2))\nTypeError: compound() missing 1 required"),
    ("print('Final Answer:', compound(1, 2, 'x'))", "error", "tool line 9, in compound: return round("),
    ("print(compound(1, 2, 3))", "no_answer", 'printed no line "Final Answer: ..."'),
    ("while True:\n    pass", "timeout", "ran longer than 1 s"),
    ("print('Final Answer:' compound(1, 2, 3))", "syntax_error", "SyntaxError at line 1"),
    ("import socket\nsocket.create_connection(('127.0.0.1', 9))", "forbidden", ""),
])
def test_execution_failures_are_cleaned(box, decision, status, error):
    ex = execute(ctx_for(box, [], timeout_s=1), TOOL, decision, "compound")
    # an endless loop meets the CPU limit or the wall limit first, as the machine's load decides; both
    # are the row's `timeout` reason
    allowed = {"forbidden": (status, "error"), "timeout": (status, "cpu_limit")}.get(status, (status,))
    assert ex.status in allowed
    assert error in ex.error and "sandbox" not in ex.error and "_tm_" not in ex.error


# ----------------------------------------------------------------------------- rectification

def test_rectification_replaces_what_the_reply_rewrote(box):
    fixed_call = "print('Final Answer:', compound(2000, 2, 8))"
    assert repaired(fixed_call, TOOL, "bad()") == (TOOL, fixed_call)
    assert repaired("print('Final Answer:' 1)", TOOL, "bad()") == (TOOL, "print('Final Answer:' 1)")
    new_tool = TOOL.replace("round(", "float(round(").replace(", 2)", ", 2))")
    assert repaired(f"{new_tool}\n\n{fixed_call}", TOOL, "bad()") == (new_tool, fixed_call)
    assert repaired("import math", TOOL, "x = 1") == (TOOL, "import math\nx = 1")
    ctx = ctx_for(box, [f"```python\n{TOOL}\n\n{fixed_call}\n```"])
    tool_code, decision = rectify(ctx, "p", TOOL, "compound(1)", "TypeError: …", 1, Usage())
    assert (tool_code, decision) == (TOOL, fixed_call)
    ask = ctx.engine.calls[0]["messages"][-1]["content"]
    assert "compound(1)" in ask and "TypeError: …" in ask


# ----------------------------------------------------------------------------- a whole problem

def base(unit):
    return {"id": f"r-{unit.key}", "group": unit.group}


UNIT = Unit(key="ci/1", group="ci", seed=7)


def test_run_problem_records_every_attempt_and_rounds(box):
    replies = ["no code here", FENCED, "```python\nprint('Final Answer:', compound(2000, 2))\n```",
               "```python\nprint(compound(2000, 2, 8))\n```", f"```python\n{CALL}\n```"]
    row = judge(run_problem(ctx_for(box, replies), UNIT, PROBLEM, [], base(UNIT)))
    assert [(a.stage, a.round, a.status) for a in row.attempts] == [
        ("creation", 0, "no_function"), ("creation", 0, "ok"), ("decision", 0, "error"),
        ("rectification", 1, "no_answer"), ("rectification", 2, "ok")]
    assert row.creations == 2 and row.rounds == 2 and row.correct and not row.correct_first
    assert row.accepted and row.reasons == [] and row.final_answer == "$2343.32" and row.printed_answer == "2343.32"
    assert row.messages[1]["tool_calls"][0]["function"] == {
        "name": "compound", "arguments": {"principal": 2000, "rate": 2, "years": 8}}
    assert row.messages[2] == {"role": "tool", "tool_call_id": row.messages[1]["tool_calls"][0]["id"],
                               "name": "compound", "content": "2343.32"}
    assert row.tools[0]["function"]["name"] == "compound" and row.tool_hash == programs.ast_hash(TOOL)
    assert schema_problems(row) == []
    assert json_schema(CreatorRow)["then"]["properties"]["correct"] == {"const": True}


@pytest.mark.parametrize("replies,reasons", [
    ([FENCED] + ["```python\nprint('Final Answer:', compound(2000, 2))\n```"] * 2, ["execution_error"]),
    ([FENCED, "```python\nwhile True: pass\n```", "```python\nwhile True: pass\n```"], ["timeout"]),
    ([FENCED, "print(1)", "print(2)"], ["no_answer"]),
    ([FENCED, "```python\nprint('Final Answer:', compound(2000, 2, 9))\n```"], ["wrong_answer"]),
    ([FENCED, "```python\nprint('Final Answer:', 2343.32)\n```"], ["tool_not_called"]),
    ([FENCED, "```python\nx = compound(2000, 2, 8)\nprint('Final Answer:', x + 1)\n```"], ["ungrounded_answer",
                                                                                           "wrong_answer"]),
    (["```python\ndef f(x):\n  return x +\n```"] * 3, ["syntax_error"]),
    (["```python\ndef compound(principal, rate, years):\n    return round(principal * (1 + rate / 100) ** years, 2)"
      "\n```"] * 3 + [f"```python\n{CALL}\n```"], ["undocumented_tool"]),
])
def test_failures_become_reason_codes(box, replies, reasons):
    row = judge(run_problem(ctx_for(box, replies, max_rounds=1, timeout_s=1), UNIT, PROBLEM, [], base(UNIT)))
    assert not row.accepted and row.reasons == sorted(reasons)
    assert schema_problems(row) == []


def test_an_unrounded_result_is_stated_as_the_question_asks(box):
    """A tool that does not round: the row states its result as asked ($, to the cent) and is right;
    the raw value stays in the attempts and the tool result."""
    unrounded = TOOL.replace("return round(principal * (1 + rate / 100) ** years, 2)",
                             "return principal * (1 + rate / 100) ** years")
    q4 = Problem(id="ci/4", question="You deposit $2500 at 4% interest per year, compounded yearly. How much is in "
                 "the account after 6 years? Round to the nearest cent.", answer="$3163.30", group="ci")
    call = 'print("Final Answer:", compound(principal=2500, rate=4, years=6))'
    row = judge(run_problem(ctx_for(box, [unrounded, call]), UNIT, q4, [], base(UNIT)))
    assert row.printed_answer == "3163.297546240001" and row.attempts[-1].answer == "3163.297546240001"
    assert row.final_answer == "$3163.30" and row.correct and row.correct_first and row.accepted
    assert row.messages[-1]["content"] == "The answer is $3163.30."
    assert row.messages[-2]["content"] == "3163.297546240001"


def test_grounded():
    msgs = [{"role": "tool", "content": "1157.625"}, {"role": "tool", "content": '{"total": 12}'}]
    assert grounded("1157.63", msgs) and grounded("12", msgs) and not grounded("13", msgs)


def test_method_run_reuses_a_group_tool(box):
    second = Problem(id="ci/2", question="You deposit $1000 at 3% per year, compounded yearly. How much after "
                     "3 years? Round to the nearest cent.", answer="1092.73", group="ci")
    units = [Unit(key=p.id, group="ci", seed=i, data={"problem": p.to_dict(), "library": ""})
             for i, p in enumerate([PROBLEM, second])]
    replies = [FENCED, f"```python\n{CALL}\n```", "```python\nprint('Final Answer:', compound(1000, 3, 3))\n```"]
    ctx = ctx_for(box, replies)
    rows = list(CREATOR().run(units, ctx))
    assert [r.reused for r in rows] == ["created", "group"] and all(r.correct for r in rows)
    assert rows[1].creations == 0 and rows[1].reused_from == rows[0].tool_hash
    assert [a.stage for a in rows[1].attempts] == ["decision"] and len(ctx.engine.calls) == 3
    assert rows[0].split == rows[1].split and rows[0].switches["max_rounds"] == 3
    # without transfer the second problem creates its own tool
    rows = list(CREATOR().run(units, ctx_for(box, replies[:2] + [FENCED, replies[2]], transfer=False)))
    assert [r.reused for r in rows] == ["created", "created"]
