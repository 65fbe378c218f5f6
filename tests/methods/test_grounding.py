"""Grammars that admit only stated values (builders/methods/grounding.py): what they admit and refuse
(checked with Python's regex and jsonschema on the same schema), and that llama.cpp can parse them."""

import json
import re

import jsonschema
import pytest
from llama_cpp import LlamaGrammar

from builders.grammar import json_schema_to_gbnf
from builders.methods.grounding import (answer_pattern, asked_values, choice_stated, ground_parameters, key_values, phrases,
                                        stated_dates)
from builders.tools import builtin_tools

TOOLS = builtin_tools()


def admits(schema: dict, value) -> bool:
    try:
        jsonschema.validate(value, schema)
        return True
    except jsonschema.ValidationError:
        return False


def test_numbers_and_units_come_from_the_query():
    schema = ground_parameters(TOOLS["convert_units"].parameters, "How many miles is a 42 km marathon?")
    assert admits(schema, {"value": 42, "from_unit": "km", "to_unit": "mi"})
    assert not admits(schema, {"value": 5, "from_unit": "km", "to_unit": "mi"})       # a number made up
    assert not admits(schema, {"value": 42, "from_unit": "km", "to_unit": "ft"})      # a unit not named
    assert schema["properties"]["from_unit"]["enum"] == ["km", "mi"]


def test_dates_names_and_optional_parameters():
    dated = ground_parameters(TOOLS["date_arithmetic"].parameters, "Which day is 45 days after March 1, 2024?")
    assert dated["properties"]["start"]["enum"] == ["2024-03-01"]
    assert 45 in dated["properties"]["days"]["enum"]
    cities = ground_parameters(TOOLS["city_distance"].parameters, "How far is Paris from New York in miles?")
    assert admits(cities, {"from_city": "Paris", "to_city": "New York", "unit": "mi"})
    assert not admits(cities, {"from_city": "Paris", "to_city": "Tokyo"})
    assert not admits(cities, {"from_city": "from New", "to_city": "Paris"})           # not a name
    plain = ground_parameters(TOOLS["city_distance"].parameters, "How far is Paris from Lyon?")
    assert "unit" not in plain["properties"]          # optional, nothing in the query asks for it: default
    compound = ground_parameters(TOOLS["compound_interest"].parameters,
                                 "How much do 1,000 dollars grow to in 5 years at 3 percent?")
    assert set(compound["properties"]) <= set(TOOLS["compound_interest"].parameters["required"])
    assert 1000 in compound["properties"]["principal"]["enum"]


def test_a_parameter_the_query_cannot_fill_keeps_its_schema():
    schema = ground_parameters(TOOLS["int_to_roman"].parameters, "What is this year in Roman numerals?")
    assert schema["properties"]["number"] == TOOLS["int_to_roman"].parameters["properties"]["number"]


def test_an_expression_is_made_of_the_query_numbers():
    schema = ground_parameters(TOOLS["calculator"].parameters, "What is 12.5 times 4, minus 3?")
    pattern = schema["properties"]["expression"]["pattern"]
    assert re.match(pattern, "12.5 * 4 - 3") and re.match(pattern, "sqrt(4) + 3")
    assert not re.match(pattern, "12.5 * 7") and not re.match(pattern, "125 * 4")


def test_a_text_argument_may_be_a_long_phrase():
    schema = ground_parameters(TOOLS["text_stats"].parameters,
                               "How many words are in the sentence the cat sat on the mat?")
    assert admits(schema, {"text": "the cat sat on the mat"})
    assert "Paris" not in phrases("How far is it from the river?")
    assert stated_dates("on 5 March 2024 or 2024-04-01") == ["2024-04-01", "2024-03-05"]


def test_the_answer_states_a_key_value_and_no_other_number():
    observation = json.dumps({"value": 26.09759, "unit": "mi", "dimension": "length"})
    pattern = answer_pattern(observation, {"value": 42, "from_unit": "km", "to_unit": "mi"},
                             "How many miles is a 42 km marathon?")
    for good in ["A 42 km marathon is 26.1 miles.", "That is 26.09759 miles.", "26.1 miles."]:
        assert re.match(pattern, good), good
    for bad in ["It is 27 miles.", "A marathon is long.", "It is 26.1 miles", "It is {26.1}.",
                "That is 26.1 miles, or 42000 metres."]:
        assert not re.match(pattern, bad), bad


def test_key_values_prefer_what_the_result_adds():
    result = json.dumps({"start": "2024-02-27", "days_added": 3, "date": "2024-03-01", "weekday": "Friday"})
    assert key_values(result, {"start": "2024-02-27", "days": 3}) == ["2024-03-01"]
    assert key_values(json.dumps({"numeral": "MCMXCIV"}), {"number": 1994}) == ["MCMXCIV"]
    assert key_values("56.25", {"expression": "12.5 * 4.5"}) == ["56.25"]
    # 'from' in a request is a preposition, not the result's field `from`: the distance is asked for
    distance = json.dumps({"from": "Lima, PE", "to": "Quito, EC", "distance": 1323.9, "unit": "km"})
    assert key_values(distance, {"from_city": "Lima", "to_city": "Quito"}, "How far is Lima from Quito?") == ["1323.9"]
    assert key_values(json.dumps({"capital": "Lima", "population": 9751717}), {"country": "Peru"},
                      "What is the capital of Peru?") == ["Lima"]


@pytest.mark.parametrize("tool,query", [("convert_units", "How many miles is a 42.5 km run?"),
                                        ("calculator", "What is (3 + 4.5) times 2?"),
                                        ("city_distance", "How far is Paris from St. Louis?"),
                                        ("date_arithmetic", "What date is 10 days after 2024-01-31?")])
def test_llama_cpp_parses_every_grounded_grammar(tool, query):
    call = {"type": "object", "properties": {"name": {"const": tool},
                                             "arguments": ground_parameters(TOOLS[tool].parameters, query)}}
    answer = {"type": "object", "properties": {"answer": {"type": "string", "pattern": answer_pattern(
        json.dumps({"value": 3.5, "note": "Mr. X (approx.)", "weekday": "Friday"}), {}, query)}}}
    for schema in (call, answer):
        gbnf = json_schema_to_gbnf(schema)
        assert all(e in 'xuUtrn"[]-^' for e in re.findall(r"\\(.)", gbnf.replace("\\\\", ""))), gbnf
        LlamaGrammar.from_string(gbnf, verbose=False)


def test_an_optional_parameter_needs_the_query_to_ask_for_it():
    tool = TOOLS["date_arithmetic"].parameters
    assert set(ground_parameters(tool, "Which day is 45 days after 2024-03-01?")["properties"]) == {"start", "days"}
    assert set(ground_parameters(tool, "How long is it from 2024-03-01 to 2024-05-01?")["properties"]) == {
        "start", "end"}


def test_a_proper_name_must_be_one_the_query_capitalises():
    schema = ground_parameters(TOOLS["city_distance"].parameters, "What is the opposite of a fallacy?")
    assert schema["properties"]["from_city"] == TOOLS["city_distance"].parameters["properties"]["from_city"]
    named = ground_parameters(TOOLS["city_distance"].parameters, "How far is Lima from Quito?")
    assert named["properties"]["to_city"]["enum"] == ["Lima", "Quito"]


def test_the_answer_holds_few_numbers():
    pattern = answer_pattern(json.dumps({"number": 1994, "roman": "MCMXCIV"}), {"number": 1994}, "What is 1994?")
    assert re.match(pattern, "The number 1994 is MCMXCIV.")
    assert not re.match(pattern, "MCMXCIV for 1994, 1994, 1994, 1994, 1994.")
    assert not re.match(pattern, "For 1994, 1994, 1994, 1994 it is MCMXCIV.")


def test_the_answer_ends_within_its_bound():
    pattern = answer_pattern("56.25", {"expression": "12.5 * 4.5"}, "What is 12.5 times 4.5?")
    assert re.match(pattern, "12.5 times 4.5 is 56.25.")
    assert not re.match(pattern, "It is 56.25" + ", and that is what it is" * 3 + ".")


def test_the_answer_speaks_in_the_request_and_result_terms():
    result = json.dumps({"number": 1994, "roman": "MCMXCIV"})
    pattern = answer_pattern(result, {"number": 1994}, "What is the Roman numeral for 1994?")
    assert re.match(pattern, "The Roman numeral for 1994 is MCMXCIV.")
    assert not re.match(pattern, "A Roman numeral is a monetary currency, MCMXCIV.")
    assert re.match(answer_pattern(result, {"number": 1994}, "What is 1994?", closed=False),
                    "A Roman numeral is a monetary currency, MCMXCIV.")


def test_a_trivial_number_gives_way_to_a_word_and_dates_stay_whole():
    result = json.dumps({"start": "2023-09-13", "days_added": 0, "date": "2023-09-13", "weekday": "Wednesday"})
    assert key_values(result, {"start": "2023-09-13"}) == ["Wednesday"]
    pattern = answer_pattern(result, {"start": "2023-09-13"}, "What weekday is 2023-09-13?")
    assert re.match(pattern, "The date 2023-09-13 is a Wednesday.")
    for bad in ["The date 2023-0-13 is a Wednesday.", "Wednesday day-of-the-month-an-individual.",
                "Wednesday (datetime) (datetime).", "The  Wednesday."]:
        assert not re.match(pattern, bad), bad


def test_the_field_the_request_names_is_the_key():
    result = json.dumps({"name": "France", "capital": "Paris", "population": 68000000})
    assert key_values(result, {"country": "France"}, "What is the capital of France?") == ["Paris"]
    assert key_values(result, {"country": "France"}, "Tell me about France.") == ["68000000"]
    pattern = answer_pattern(result, {"country": "France"}, "What is the capital of France?")
    assert re.match(pattern, "The capital of France is Paris.")
    assert not re.match(pattern, "The population of France is 68000000 and the capital is Paris.")


def test_a_part_every_field_has_does_not_tell_which_field_is_asked():
    """'between' is in days_between and weeks_between: 'How many days between …' asks for the days."""
    result = json.dumps({"start": "2022-01-01", "end": "2022-01-31", "days_between": 30, "weeks_between": 4.286})
    request = "How many days between 2022-01-01 and 2022-01-31?"
    assert key_values(result, {"start": "2022-01-01", "end": "2022-01-31"}, request) == ["30"]
    assert asked_values(result, {}, request) == ({"30"}, {"4.286", "4.29"})
    assert asked_values(json.dumps({"km": 1321.4, "miles": 821.1}), {}, "How far is Lima from Quito?") == (set(), set())


@pytest.mark.parametrize("choice, request_, stated", [
    ("ft", "How many feet are in 3 meters?", True), ("ft", "Convert 500 ft to meters.", True),
    ("lb", "How many pounds is 5 kg?", True), ("kg", "How many kilograms is 10 pounds?", True),
    ("mi", "How far is 10 km in miles?", True), ("mi", "How many minutes are in a day?", False),
    ("in", "What is the difference in altitude between 500 ft?", False), ("in", "How many inches is 2 ft?", True),
    ("h", "How many hours are in 3 days?", True), ("h", "How many days are in 2 weeks?", False),
])
def test_a_unit_is_stated_by_its_word_not_by_a_word_it_begins(choice, request_, stated):
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z/]*", request_)}
    assert choice_stated(choice, words) is stated
