"""BFCL's AST rules on hand-made calls: each failure a model makes must fail, each harmless difference
must pass."""

import pytest

from builders.evaluation.gold import possible
from builders.evaluation.matching import fits, match_call, match_calls, standard, tools_match

AREA = {"name": "triangle_area", "parameters": {"type": "object", "properties": {
    "base": {"type": "integer"}, "height": {"type": "number"}, "unit": {"type": "string", "default": "cm"}},
    "required": ["base", "height"]}}
WEATHER = {"name": "weather", "parameters": {"type": "object", "properties": {
    "city": {"type": "string"}, "days": {"type": "integer", "default": 1}}, "required": ["city"]}}
SPECS = {"triangle_area": AREA, "weather": WEATHER}

GOLD_AREA = {"triangle_area": {"base": [10], "height": [5.0], "unit": ["", "cm"]}}


def call(name, **arguments):
    return {"name": name, "arguments": arguments}


@pytest.mark.parametrize("model_call, reason", [
    (call("weather", city="Paris"), "wrong_tool"),
    (call("triangle_area", base=10, height=6), "wrong_value"),
    (call("triangle_area", base=10), "missing_required"),
    (call("triangle_area", base=10, height=5, colour="red"), "unexpected_argument"),
    (call("triangle_area", base="10", height=5), "wrong_type"),
    (call("triangle_area", base=10.5, height=5), "wrong_type"),     # not an integer
    (call("triangle_area", base=True, height=5), "wrong_type"),     # True is never 1
    (call("triangle_area", base=10, height=5, unit="m"), "wrong_value"),  # optional, but not at its default
])
def test_a_wrong_call_fails(model_call, reason):
    assert match_call(model_call, GOLD_AREA, AREA) == reason


@pytest.mark.parametrize("model_call", [
    call("triangle_area", base=10, height=5),          # int where a float is asked; optional unit left out
    call("triangle_area", base=10.0, height=5.0),      # an integral float where an integer is asked
    call("triangle_area", base=10, height=5, unit="cm"),  # the optional at its default
    call("triangle_area", base=10, height=5, unit=" CM"),  # strings without case and spaces
])
def test_a_right_call_passes(model_call):
    assert match_call(model_call, GOLD_AREA, AREA) is None


def test_a_gold_argument_without_optional_mark_must_be_given():
    gold = {"weather": {"city": ["Paris"], "days": [3]}}
    assert match_call(call("weather", city="Paris"), gold, WEATHER) == "missing_argument"
    assert match_call(call("weather", city="paris", days=3), gold, WEATHER) is None


def test_possible_answer_from_a_plain_call_handles_defaults():
    gold = possible(call("weather", city="Paris", days=1), WEATHER)   # days at its default: may be left out
    assert match_call(call("weather", city="Paris"), gold, WEATHER) is None
    assert match_call(call("weather", city="Paris", days=1), gold, WEATHER) is None
    assert match_call(call("weather", city="Paris", days=2), gold, WEATHER) == "wrong_value"
    gold = possible(call("weather", city="Paris"), WEATHER)          # days unused: absent or at its default
    assert match_call(call("weather", city="Paris", days=1), gold, WEATHER) is None
    assert match_call(call("weather", city="Paris", days=5), gold, WEATHER) == "wrong_value"
    assert match_call(call("weather", city="Paris", days=5), possible(call("weather", city="Paris", days=5), WEATHER),
                      WEATHER) is None


PARALLEL = [{"weather": {"city": ["Paris"], "days": ["", 1]}}, {"weather": {"city": ["Rome"], "days": ["", 1]}}]


def test_parallel_calls_match_in_any_order():
    assert match_calls([call("weather", city="Rome"), call("weather", city="Paris")], PARALLEL, SPECS) is None
    assert match_calls([call("weather", city="Paris"), call("weather", city="Rome")], PARALLEL, SPECS) is None


@pytest.mark.parametrize("calls, reason", [
    ([call("weather", city="Paris")], "wrong_count"),                                   # a call missing
    ([call("weather", city="Paris"), call("weather", city="Rome"), call("weather", city="Oslo")], "wrong_count"),
    ([call("weather", city="Paris"), call("weather", city="Paris")], "wrong_value"),    # one gold call twice
    ([call("weather", city="Paris"), call("triangle_area", base=1, height=2)], "wrong_tool"),
    ([], "no_call"),
])
def test_parallel_calls_fail(calls, reason):
    assert match_calls(calls, PARALLEL, SPECS) == reason


def test_an_extra_call_fails_a_single_gold_call():
    assert match_calls([call("triangle_area", base=10, height=5), call("triangle_area", base=10, height=5)],
                       [GOLD_AREA], SPECS) == "wrong_count"
    assert match_calls([call("triangle_area", base=10, height=5)], [GOLD_AREA], SPECS) is None


def test_no_call_is_right_when_the_request_is_irrelevant():
    assert match_calls([], [], SPECS) is None
    assert match_calls([call("weather", city="Paris")], [], SPECS) == "called_irrelevant"


def test_tool_match_ignores_arguments_and_order():
    assert tools_match([call("b"), call("a", x=1)], [{"a": {}}, {"b": {}}])
    assert not tools_match([call("a")], [{"a": {}}, {"a": {}}])


def test_bfcl_string_and_nested_rules():
    assert standard("April 1, 2024") == standard("april 1 2024")
    nested = {"name": ["Ann"], "age": ["", 30]}         # BFCL's dict of acceptable values
    assert fits({"name": "ann"}, nested)
    assert fits({"name": "Ann", "age": 30}, nested)
    assert not fits({"name": "Ann", "age": 31}, nested)
    assert not fits({"name": "Ann", "city": "Rome"}, nested)
    assert fits([{"name": "Ann"}], [nested])             # a list of such dicts
    assert fits([1, 2.0], [1.0, 2])
    assert not fits([1, 2], [2, 1])
