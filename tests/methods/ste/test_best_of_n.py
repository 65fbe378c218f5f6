"""STE's best of n and grounded grammars, with the scripted model and the real sandbox: a candidate
that would make an invalid row is sampled again, and every discarded one is recorded with its reasons."""

import re

import pytest

from sandbox import Limits, Sandbox
from tests.methods.ste.helpers import episode
from tests.methods.ste.script import SteScript

CONVERT = {"name": "convert_units", "arguments": {"value": 42, "from_unit": "km", "to_unit": "mi"}}


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


def test_a_bad_query_is_sampled_again_and_recorded(box):
    llm = SteScript(["What does the user need to know about the tool?",     # no value for the call
                     "How many miles is a 42 km marathon?"], [CONVERT], ["A 42 km marathon is 26.1 miles."])
    [ex], _ = episode(llm, box, tool="convert_units", candidates=3)
    assert ex.accepted, ex.reasons
    assert ex.query == "How many miles is a 42 km marathon?"
    assert ex.candidates == [{"stage": "query", "text": "What does the user need to know about the tool?",
                              "reasons": ["query_lacks_values"]}]
    seeds = [c["seed"] for c in llm.calls if c["stage"] == "query"]
    assert len(seeds) == 2 and seeds[0] != seeds[1]


def test_the_last_candidate_is_kept_when_none_passes(box):
    llm = SteScript(["Show me {json}.", "What is a tool?"], ["{", "{"], [])
    [ex], ep = episode(llm, box, tool="convert_units", candidates=2)
    assert not ex.accepted and ex.query == "What is a tool?"   # kept, and rejected by the row checks
    assert ex.reasons == ["malformed_output"], ex.reasons       # its calls did not parse
    assert [c["text"] for c in ex.candidates] == ["Show me {json}."]
    assert "query_code" in ex.candidates[0]["reasons"]
    assert ep.steps[0]["candidates"] == ex.candidates              # the episode record has them too


def test_a_bad_answer_is_sampled_again_and_recorded(box):
    llm = SteScript(["How many miles is a 42 km marathon?"], [CONVERT],
                    ["A 42 km marathon is 27 miles.", "A 42 km marathon is 26.1 miles."])
    [ex], _ = episode(llm, box, tool="convert_units", candidates=3)
    assert ex.accepted, ex.reasons
    assert ex.final_answer == "A 42 km marathon is 26.1 miles."
    assert ex.candidates == [{"stage": "answer", "text": "A 42 km marathon is 27 miles.",
                              "reasons": ["answer_unfaithful"]}]
    answers = [c for c in llm.calls if c["stage"] == "answer"]
    assert answers[1]["temperature"] > answers[0]["temperature"]   # a later candidate samples more widely


def test_the_grammars_hold_the_query_values_and_the_result(box):
    """`answer_grammar: closed` (made for a 135M model; the default is now `free`, see below)."""
    llm = SteScript(["How many miles is a 42 km marathon?"], [CONVERT], ["A 42 km marathon is 26.1 miles."])
    episode(llm, box, tool="convert_units", answer_grammar="closed")
    [call] = [c["schema"] for c in llm.calls if c["stage"] == "call"]
    arguments = call["properties"]["arguments"]["properties"]
    assert arguments["value"]["enum"] == [42] and arguments["to_unit"]["enum"] == ["km", "mi"]
    [answer] = [c["schema"] for c in llm.calls if c["stage"] == "answer"]
    pattern = answer["properties"]["answer"]["pattern"]
    assert re.match(pattern, "A 42 km marathon is 26.1 miles.") and not re.match(pattern, "It is 27 miles.")


@pytest.mark.parametrize("grammar, says_27", [("free", True), ("open", False), ("closed", False)])
def test_the_answer_grammars(box, grammar, says_27):
    """free (the default: with Qwen2.5-Coder-1.5B it wrote 16 right answers of 16, open 12, closed 9 —
    benchmarks/bench_answers.py) is one plain sentence; open and closed must state the result."""
    llm = SteScript(["How many miles is a 42 km marathon?"], [CONVERT], ["A 42 km marathon is 26.1 miles."])
    episode(llm, box, tool="convert_units", **({} if grammar == "free" else {"answer_grammar": grammar}))
    [answer] = [c["schema"] for c in llm.calls if c["stage"] == "answer"]
    pattern = answer["properties"]["answer"]["pattern"]
    assert bool(re.match(pattern, "It is 27 miles.")) == says_27
    assert re.match(pattern, "A 42 km marathon is 26.1 miles.") and not re.match(pattern, 'Called {"value": 42}')


def test_without_grounding_the_tool_schema_is_the_grammar(box):
    llm = SteScript(["How many miles is a 42 km marathon?"], [CONVERT], ["A 42 km marathon is 26.1 miles."])
    episode(llm, box, tool="convert_units", grounding=False)
    [call] = [c["schema"] for c in llm.calls if c["stage"] == "call"]
    assert "enum" not in call["properties"]["arguments"]["properties"]["value"]
