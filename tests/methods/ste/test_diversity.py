"""Diversity (issue 21): a tool's later rows that repeat an accepted call or request are rejected
with their reason, and the manifest and card count distinct calls and the parameters and choices
used per tool."""

import pytest

from builders.dataset.card import diversity_lines
from builders.methods.ste import METHOD as STE
from builders.methods.ste.diversity import duplicates, query_key, near, report
from builders.tools import builtin_tools
from sandbox import Limits, Sandbox
from tests.methods.ste.helpers import episode, explore
from tests.methods.ste.script import SteScript


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


def calc(e):
    return {"name": "calculator", "arguments": {"expression": e}}


@pytest.fixture(scope="module")
def rows(box):
    queries = ["What is 50 divided by 2?", "Please divide 50 by 2 for me.", "What's 50 divided by 2?",
               "What is 60 divided by 2?", "What is 50 divided by 2?"]
    calls = [calc("50/2"), calc("50 / 2"), calc("50/2.0"), calc("60/2"), calc("50/2")]
    answers = ["Fifty divided by two is 25.", "Fifty divided by two is 25.", "Fifty divided by two is 25.0.",
               "Sixty divided by two is 30.", "It is 25, half of 50."]
    llm = SteScript(queries, calls, answers)
    return explore(llm, box, queries_per_episode=5, max_calls_per_query=1)


def test_repeats_of_an_accepted_call_or_request_are_rejected(rows):
    assert all(r.accepted for r in rows)  # each alone is a sound row
    reviewed = STE.review(rows)
    assert [r.reasons for r in reviewed] == [[], ["duplicate_call"], ["duplicate_query"], [], ["duplicate_call"]]
    assert [r.accepted for r in reviewed] == [True, False, False, True, False]


def test_a_rejected_row_is_no_original(rows):
    """Only accepted rows are remembered: a repeat of a rejected row is the first of its kind."""
    first = rows[0].with_verdict(["answer_broken"])
    reviewed = duplicates([first, *rows[1:]])
    assert [r.reasons for r in reviewed] == [["answer_broken"], [], [], [], ["duplicate_call"]]


def test_requests_with_other_values_are_other_requests():
    assert near(query_key("What is 50 divided by 2?"), query_key("What's 50 divided by 2?"))
    assert not near(query_key("What is 12 times 5, please?"), query_key("What is 12 times 6, please?"))
    assert not near(query_key("How far is Paris from Lyon?"), query_key("How far is Paris from Nice?"))


def test_the_report_counts_distinct_calls_and_parameters_used():
    rows = [{"action": "convert_units", "action_input": {"value": 5, "from_unit": "km", "to_unit": "mi"}},
            {"action": "convert_units", "action_input": {"value": 5, "from_unit": "km", "to_unit": "mi"}},
            {"action": "convert_units", "action_input": {"value": 9, "from_unit": "kg", "to_unit": "lb"}},
            {"action": "convert_units", "action_input": {"value": 9, "from_unit": "kg", "to_unit": "lb"},
             "paraphrase_of": "x"},                                          # a paraphrase is not a new call
            {"action": "date_arithmetic", "action_input": {"start": "2024-01-01", "days": -3}}]
    out = report(rows, list(builtin_tools().values()))
    assert out["rows"] == 4 and out["distinct_calls"] == 3 and out["distinct_share"] == 0.75
    units = out["per_tool"]["convert_units"]
    assert units["rows"] == 3 and units["distinct_calls"] == 2 and units["parameters_used"] == [3, 3]
    assert units["choices_used"]["from_unit"] == [2, 32] and units["choices_used"]["to_unit"] == [2, 32]
    assert out["per_tool"]["date_arithmetic"]["parameters_used"] == [2, 3]
    card = diversity_lines({"diversity": out})
    assert "3 distinct calls in 4 accepted seed rows (75 %)" in card
    assert "| convert_units | 3 | 2 | 3 of 3 | from_unit 2 of 32, to_unit 2 of 32 |" in card


def test_real_rows_of_two_episodes(box):
    """Qwen2.5-Coder-1.5B, calculator, two episodes of two queries (read: each row alone is right; the
    second episode asked for the same two calls. The model wrote 12.5 times 4, the documentation's
    example, which query_copies_example now rejects; 7.5 stands in for it here)."""
    first = explore(SteScript(["What is the result of the expression 7.5 times 4?", "What is the result of 50 divided by 2?"],
                              [calc("7.5 * 4"), calc("50 / 2")],
                              ["The result of 7.5 times 4 is 30.", "The result of 50 divided by 2 is 25."]),
                    box, queries_per_episode=2, max_calls_per_query=1)
    second = episode(SteScript(["Calculate the result of the expression 7.5 multiplied by 4.",
                                "Can you calculate the result of 50 divided by 2?"],
                               [calc("7.5 * 4"), calc("50 / 2")],
                               ["The result of 7.5 multiplied by 4 is 30.", "The result of 50 divided by 2 is 25."]),
                     box, queries_per_episode=2, max_calls_per_query=1, index=1)[0]
    assert all(r.accepted for r in first + second)
    assert [r.reasons for r in STE.review(first + second)] == [[], [], ["duplicate_call"], ["duplicate_call"]]
