"""Each of STE's rejection reasons, through an episode with the scripted model and the real sandbox,
and the check functions on the cases the issue names (the demo's junk rows)."""

import pytest

from builders.methods.ste.checks import (copies_doc, degenerate, grounded, names_tool, query_problem,
                                         unfaithful_numbers, unstated_values)
from builders.tools import builtin_tools
from sandbox import Limits, Sandbox
from tests.methods.ste.helpers import explore
from tests.methods.ste.script import SteScript

CALC = lambda e: {"name": "calculator", "arguments": {"expression": e}}  # noqa: E731
DATE = {"name": "date_arithmetic", "arguments": {"start": "2024-02-25", "days": 10}}


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


CASES = [  # (tool, query, call, answer, finish, reasons)
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), "The result is 80.", {}, []),
    ("calculator", 'createRequest(data: {start: {type: 3}})', CALC("3"), "The result is 3.", {},
     ["query_code", "query_names_tool", "query_off_topic", "call_idle"]),
    ("calculator", "Please open https://example.org/calc and add 2 and 3.", CALC("2+3"), "The sum is 5.", {},
     ["query_url"]),
    ("calculator", "45.53089331640853831", CALC("45.53089331640853831"), "The number is 45.53089331640853831.", {},
     ["query_not_words", "query_off_topic", "call_idle"]),
    ("date_arithmetic", "2021-01-01 14:30:12", {"name": "date_arithmetic", "arguments": {"start": "2021-01-01"}},
     "That date is 2021-01-01.", {}, ["query_not_words", "query_off_topic"]),
    ("calculator", "What is 12 times 7, minus 4, and then", CALC("12*7-4"), "The result is 80.", {},
     ["query_incomplete"]),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), "The result is 80.", {"query": ["length"]},
     ["query_incomplete"]),
    ("calculator", "Can the calculator_tool add 2 and 3 for me?", CALC("2+3"), "The sum is 5.", {},
     ["query_names_tool"]),
    ("calculator", f"What is 12 times 7? {builtin_tools()['calculator'].description[:40]}.", CALC("12*7"),
     "The result is 84.", {}, ["query_copies_doc"]),
    ("calculator", "What is the result of the expression 12.5 times 4?", CALC("12.5 * 4"),  # accepted by the demo, read:
     "The result of 12.5 times 4 is 50.", {}, ["query_copies_example"]),                  # the documentation's e.g.
    ("calculator", "What is 12.5 plus 3?", CALC("12.5 + 3"), "12.5 plus 3 is 15.5.", {}, []),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-5"), "The result is 79.", {},
     ["argument_hallucinated"]),
    ("date_arithmetic", "What day is ten days after my birthday?", DATE, "It is March 6, 2024.", {},
     ["argument_hallucinated"]),
    ("date_arithmetic", "What date is 10 days after February 25, 2024?", DATE, "It is March 6, 2024.", {}, []),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), "It is 80, or 81 if you round up.", {},
     ["answer_unfaithful"]),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), 'The tool calculator was called with {"expression": "12*7-4"}',
     {}, ["answer_recites_call", "answer_misses_result"]),
    ("date_arithmetic", "What date is 10 days after February 25, 2024?", DATE,
     "The new date is 2024-2024-2024-2024-2024-2024-2024.", {}, ["answer_degenerate", "answer_misses_result"]),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), "The result of the calculation is 80 and", 
     {"answer": ["length"]}, ["answer_cut_off", "answer_not_sentence"]),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), "80.", {}, ["answer_not_words"]),
    ("calculator", "What is 12 times 7, minus 4?", CALC("12*7-4"), "   ", {}, ["empty_answer"]),
    ("date_arithmetic", "How many days between 2022-01-01 and 2022-01-31?",
     {"name": "date_arithmetic", "arguments": {"start": "2022-01-01", "end": "2022-01-31"}},
     "A days 4.286, in 2022-01-01, in 2022-01-31, days between days between result this in of.", {},
     ["answer_not_sentence", "answer_wrong_field", "answer_misses_result"]),               # accepted by a real run, read: word salad
    ("date_arithmetic", "How many days between 2022-01-01 and 2022-01-31?",
     {"name": "date_arithmetic", "arguments": {"start": "2022-01-01", "end": "2022-01-31"}},
     "The answer is 4.286.", {}, ["answer_wrong_field", "answer_misses_result"]),           # the weeks, for a question about days
    ("date_arithmetic", "How many days between 2022-01-01 and 2022-01-31?",
     {"name": "date_arithmetic", "arguments": {"start": "2022-01-01", "end": "2022-01-31"}},
     "There are 30 days between 2022-01-01 and 2022-01-31.", {}, []),
    ("prime_factors", "How many days are in a month in 10 years?", {"name": "prime_factors", "arguments": {"n": 10}},
     "The answer is 2 and 5.", {}, ["query_off_topic"]),
    ("prime_factors", "Is the number 360 a prime?", {"name": "prime_factors", "arguments": {"n": 360}},
     "No, 360 is not a prime.", {}, []),
    ("city_distance", "How far is Lima from Quito?", {"name": "city_distance",
                                                     "arguments": {"from_city": "Lima", "to_city": "Quito"}},
     "Lima is about 1324 km from Quito.", {}, []),                     # 'how far' asks for a distance
    # accepted by the checks in a real run (the judge refused them): calls that do nothing
    ("city_distance", "How far is Paris from Paris?", {"name": "city_distance",
                                                      "arguments": {"from_city": "Paris", "to_city": "Paris"}},
     "Paris is 0 km from Paris.", {}, ["call_idle"]),
    ("convert_units", "How many km are 1000 km?", {"name": "convert_units",
                                                      "arguments": {"value": 1000, "from_unit": "km", "to_unit": "km"}},
     "1000 km are 1000 km.", {}, ["call_idle"]),
    ("calculator", "What is 144 times 1 in 15 cells?", CALC("144"), "The answer is 144.", {}, ["call_idle", "request_half_served"]),  # 1 and 15 unused too
    ("calculator", "What is the answer to the answer-to-the-answer-to- the-answer to 12 times 7?", CALC("12*7"),
     "The result is 84.", {}, ["query_degenerate"]),
    # accepted with a judge that says yes to everything: the distance is not in the answer
    ("city_distance", "How long is a flight from Tokyo to Paris?", {"name": "city_distance",
     "arguments": {"from_city": "Tokyo", "to_city": "Paris"}},
     "A flight from Tokyo to Paris is from Tokyo, JP, to Paris, FR, distance in km.", {}, ["answer_misses_result"]),
    ("city_distance", "How far is Tokyo from Paris?", {"name": "city_distance",
     "arguments": {"from_city": "Tokyo", "to_city": "Paris"}}, "Tokyo is about 9712 km from Paris.", {}, []),
    ("date_arithmetic", "What date is 10 days after February 25, 2024?", DATE, "It is March 6, 2024.", {}, []),
    # both rows of a real run that reached the judge: two dates asked about, one used
    ("date_arithmetic", "How many days past the end of 2022 were 2022-03-22 to 2022-03-31?",
     {"name": "date_arithmetic", "arguments": {"start": "2022-03-31"}}, "A 2022-03-31 is a 2022-03-31, which is a 0.",
     {}, ["argument_missing"]),
    ("date_arithmetic", "What weekday is 2022-03-31?", {"name": "date_arithmetic", "arguments": {"start": "2022-03-31"}},
     "The date 2022-03-31 falls on a Thursday.", {}, []),
    # 'in' the preposition is not 'in' the unit
    ("convert_units", "What is the difference in altitude between 500 ft?", {"name": "convert_units",
     "arguments": {"value": 500, "from_unit": "ft", "to_unit": "in"}}, "The difference is 6000.", {},
     ["argument_hallucinated"]),
    ("convert_units", "How many inches are 500 ft?", {"name": "convert_units",
     "arguments": {"value": 500, "from_unit": "ft", "to_unit": "in"}}, "500 ft are 6000 inches.", {}, []),
    # '3 weeks before' is a day offset of -21: the grammar offered no `days` for it, and the 1.5B called
    # date_arithmetic with the start date alone (rejected, request_half_served, in a real run)
    ("date_arithmetic", "What is the date 3 weeks before 2023-04-10 and what is its weekday?",
     {"name": "date_arithmetic", "arguments": {"start": "2023-04-10", "days": -21}},
     "The date 3 weeks before 2023-04-10 is 2023-03-20, which is a Monday.", {}, []),
    ("date_arithmetic", "What is the date 3 weeks before 2023-04-10 and what is its weekday?",
     {"name": "date_arithmetic", "arguments": {"start": "2023-04-10", "days": 21}},
     "The date 3 weeks before 2023-04-10 is 2023-05-01, which is a Monday.", {}, ["direction_ignored"]),
    # rejected as off topic in a real run: the units are the call's choices in words ('miles' for `mi`)
    ("convert_units", "How many miles is 5 kilometers?", {"name": "convert_units",
     "arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"}}, "Five kilometers is approximately 3.106856 miles.",
     {}, []),
]


@pytest.mark.parametrize("tool, query, call, answer, finish, reasons", CASES,
                         ids=[c[-1][0] if c[-1] else "valid" for c in CASES])
def test_each_reason(box, tool, query, call, answer, finish, reasons):
    llm = SteScript([query], [call], [answer], finish=finish)
    [ex] = explore(llm, box, tool, max_calls_per_query=1)
    assert ex.reasons == reasons, (ex.reasons, ex.detail, ex.observation)
    assert ex.accepted == (not reasons)


def test_a_cut_off_query_is_malformed(box):
    llm = SteScript(['{"query": "What is 2+'])
    [ex] = explore(llm, box)
    assert ex.reasons == ["malformed_output"] and ex.messages == [] and llm.count("call") == 0


def test_query_shapes():
    assert query_problem("How many miles is a 42 km run?") is None
    assert query_problem("Please multiply 7 by 6.") is None
    for bad, code in [("{\"expression\": \"2+2\"}", "query_code"), ("print(2+2)", "query_code"),
                      ("SELECT * FROM books;", "query_code"), ("See www.example.com for the numbers.", "query_url"),
                      ("2021-01-01 14:30:12", "query_not_words"), ("Repeat repeat repeat repeat repeat.", "query_degenerate"),
                      # the 1.5B's write_file requests of one run, written as text="just wrote"
                      ("I want to append a note to the file /notes/todo.txt with the text I just wrote.",
                       "query_unstated_content"),
                      ("How can I add a new note with the text I just wrote to the /notes/todo.txt file?",
                       "query_unstated_content")]:
        assert query_problem(bad) == code, bad
    assert query_problem("Append the note 'buy eggs' I just wrote down to /notes/todo.txt.") is None  # stated


def test_identifiers_and_pasted_docs():
    tools = [{"type": "function", "function": builtin_tools()["convert_units"].spec()}]
    doc = tools[0]["function"]["description"]
    assert copies_doc("How to use it: " + doc[:60], tools)
    assert copies_doc("please run convert_units on 3 mi", tools)
    assert not copies_doc("How many metres are in 3 miles?", tools)
    assert names_tool("Use fromUnit to convert", tools) and not names_tool("How many metres in a mile?", tools)


def test_argument_grounding():
    params = builtin_tools()["convert_units"].parameters
    assert unstated_values({"value": 42, "from_unit": "km", "to_unit": "mi"}, params, "How many miles is 42 km?") == []
    assert unstated_values({"value": 42, "from_unit": "m", "to_unit": "km"}, params, "How many miles is 42 km?") == ["from_unit=m"]
    assert unstated_values({"value": 40, "from_unit": "km", "to_unit": "mi"}, params, "How many miles is 42 km?") == ["value=40"]
    assert unstated_values({"value": 0.05, "from_unit": "km", "to_unit": "mi"}, params, "5% of a km in miles?") == []
    city = builtin_tools()["city_distance"].parameters
    assert unstated_values({"from_city": "Paris", "to_city": "Berlin"}, city, "How far is Paris from Berlin?") == []
    assert unstated_values({"from_city": "Paris", "to_city": "Madrid"}, city, "How far is Paris from Berlin?") == ["to_city=Madrid"]
    calc = builtin_tools()["calculator"].parameters
    assert unstated_values({"expression": "sqrt(81) + 2"}, calc, "What is the square root of 81, plus 2?") == []


def test_answer_faithfulness():
    assert grounded("About 3.14.", "3.14159")
    assert grounded("It costs 1,234.50 dollars", '{"total": 1234.5}')
    assert grounded("Done.", '{"status": "saved"}')
    assert not grounded("It is 8.", '{"value": 42}')
    assert unfaithful_numbers("It is March 6, 2024.", '{"date": "2024-03-06"}') == []
    assert unfaithful_numbers("That is 50% more.", '{"change": 0.5}') == []
    assert unfaithful_numbers("It is 41.", "42") == ["41"]
    assert degenerate("2021-2021-2021-2021-2021") and not degenerate("The trip takes 3 days and costs 40 euros.")


@pytest.mark.parametrize("answer, bad", [("6 times 117 is 702.", False), ("2023-04-10 was a Monday.", False),
                                         ("It is 702.", False), ("702", True), ("Result: 702", True),
                                         ("Yes.", True)])
def test_a_short_answer_with_its_numbers_is_words_enough(answer, bad):
    """A capable model's terse answers say the result; the 135M-era rule (three words) rejected them."""
    from builders.methods.ste.checks import not_words

    assert not_words(answer) is bad
