"""One item's verdict: each metric on hand-made replies that must pass and fail, execution match
through the real sandbox with the built-in tools."""

import json

import pytest

from builders.evaluation.gold import item_from_calls
from builders.evaluation.scoring import figures, sandbox_executor, score
from builders.tools import builtin_tools
from sandbox import Limits, Sandbox

TOOLS = builtin_tools()
CALC = TOOLS["calculator"].spec()
UNITS = TOOLS["convert_units"].spec()


def reply(*calls):
    return "\n".join(f"<tool_call>\n{json.dumps({'name': n, 'arguments': a})}\n</tool_call>" for n, a in calls)


def item(*calls, tools=(CALC, UNITS)):
    return item_from_calls("i", [{"role": "user", "content": "How much is 6 times 7?"}], list(tools),
                           [{"name": n, "arguments": a} for n, a in calls])


@pytest.fixture(scope="module")
def execute():
    with Sandbox(Limits(wall_s=5)) as box:
        yield sandbox_executor(TOOLS, box)


def test_the_right_call_passes_every_metric(execute):
    v = score(item(("calculator", {"expression": "6*7"})), reply(("calculator", {"expression": "6 * 7"})), execute)
    assert (v.well_formed, v.tool_match, v.argument_match, v.execution_match, v.failure) == (True, True, True, True, "")


def test_other_arguments_with_the_same_result_match_on_execution_only(execute):
    v = score(item(("calculator", {"expression": "6*7"})), reply(("calculator", {"expression": "7*6"})), execute)
    assert (v.tool_match, v.argument_match, v.execution_match, v.failure) == (True, False, True, "wrong_value")


def test_a_wrong_value_fails_arguments_and_execution(execute):
    v = score(item(("calculator", {"expression": "6*7"})), reply(("calculator", {"expression": "6*8"})), execute)
    assert (v.well_formed, v.tool_match, v.argument_match, v.execution_match) == (True, True, False, False)


def test_a_wrong_tool_fails_tool_match(execute):
    v = score(item(("calculator", {"expression": "6*7"})),
              reply(("convert_units", {"value": 6, "from_unit": "km", "to_unit": "m"})), execute)
    assert (v.well_formed, v.tool_match, v.argument_match, v.execution_match, v.failure) == \
        (True, False, False, False, "wrong_tool")


def test_a_missing_required_argument_fails(execute):
    gold = item(("convert_units", {"value": 3, "from_unit": "mi", "to_unit": "km"}))
    v = score(gold, reply(("convert_units", {"value": 3, "from_unit": "mi"})), execute)
    assert (v.tool_match, v.argument_match, v.execution_match, v.failure) == (True, False, False, "missing_required")


def test_int_and_float_are_one_value(execute):
    gold = item(("convert_units", {"value": 3, "from_unit": "mi", "to_unit": "km"}))
    v = score(gold, reply(("convert_units", {"value": 3.0, "from_unit": "mi", "to_unit": "km"})), execute)
    assert (v.argument_match, v.execution_match) == (True, True)


def test_an_extra_call_fails_even_when_one_is_right(execute):
    v = score(item(("calculator", {"expression": "6*7"})),
              reply(("calculator", {"expression": "6*7"}), ("calculator", {"expression": "1+1"})), execute)
    assert (v.tool_match, v.argument_match, v.execution_match, v.failure) == (False, False, False, "wrong_count")


def test_parallel_calls_in_another_order_pass(execute):
    gold = item(("calculator", {"expression": "6*7"}), ("convert_units", {"value": 3, "from_unit": "mi", "to_unit": "km"}))
    v = score(gold, reply(("convert_units", {"value": 3, "from_unit": "mi", "to_unit": "km"}),
                          ("calculator", {"expression": "6*7"})), execute)
    assert (v.tool_match, v.argument_match, v.execution_match) == (True, True, True)


def test_unreadable_or_missing_calls_are_not_well_formed(execute):
    gold = item(("calculator", {"expression": "6*7"}))
    v = score(gold, '<tool_call>{"name": "calculator", "arguments": {"expression": </tool_call>', execute)
    assert (v.well_formed, v.failure, v.execution_match) == (False, "malformed", None)
    v = score(gold, "It is 42.", execute)
    assert (v.well_formed, v.argument_match, v.failure) == (False, False, "no_call")


def test_execution_is_not_counted_where_a_tool_cannot_run():
    spec = {"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}
    gold = item(("lookup", {"q": "x"}), tools=[spec])
    with Sandbox(Limits(wall_s=5)) as box:
        v = score(gold, reply(("lookup", {"q": "x"})), sandbox_executor(TOOLS, box))
    assert (v.argument_match, v.execution_match) == (True, None)
    f = figures([v])
    assert (f["argument_match"], f["execution_items"], f["execution_match"]) == (1.0, 0, None)


def test_figures_are_shares_of_the_items():
    gold = item(("calculator", {"expression": "6*7"}))
    vs = [score(gold, reply(("calculator", {"expression": "6*7"}))), score(gold, "no idea"),
          score(gold, reply(("convert_units", {"value": 1, "from_unit": "m", "to_unit": "cm"})))]
    f = figures(vs)
    assert (f["items"], f["well_formed"], f["tool_match"], f["argument_match"]) == (3, 0.6667, 0.3333, 0.3333)
    assert f["failures"] == {"no_call": 1, "wrong_tool": 1}
