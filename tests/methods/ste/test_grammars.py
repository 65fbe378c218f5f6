"""Every grammar STE asks llama.cpp for compiles (a grammar that does not parse crashes the sampler),
and the query grammar admits requests and refuses what the issue's junk rows were."""

import re

import pytest
from builders.grammar import json_schema_to_gbnf
from builders.methods.ste.answer import ANSWER_SCHEMA
from builders.methods.ste.paraphrase import paraphrase_schema
from builders.methods.ste.query import NUMBERED_PATTERN, NUMBERED_SCHEMA, QUERY_PATTERN, QUERY_SCHEMA
from builders.methods.ste.reflection import REFLECTION_SCHEMA


@pytest.mark.parametrize("schema", [QUERY_SCHEMA, NUMBERED_SCHEMA, ANSWER_SCHEMA, REFLECTION_SCHEMA,
                                    paraphrase_schema(3)], ids=["query", "numbered", "answer", "reflection",
                                                                "paraphrase"])
def test_each_grammar_parses(schema):
    """llama.cpp parses a grammar only when sampling (it needs a model); a bad escape there fails the
    parse and the sampler crashes. Every escape must be one its parser knows (grammar-parser.cpp)."""
    gbnf = json_schema_to_gbnf(schema)
    for escape in re.findall(r"\\(.)", gbnf.replace("\\\\", "")):
        assert escape in 'xuUtrn"[]-^', f"llama.cpp cannot parse the escape \\{escape}"


def test_the_query_grammar_admits_requests_only():
    good = ["What is 12 times 7, minus 4?", "How many miles is a 42 km marathon?",
            "Which day is 45 days after 2024-03-01?", "How much is 1,500 dollars in euros today?"]
    bad = ['{"a": 1}', "https://x.org/a?b=1", "2021-01-01 14:30:12", "Run calculator_tool on 3.", "What is 3?",
           "Is 30.21.20.2008 a date?", "createRequest(data: {start: {type:", "What is 45.53089331640853831?"]
    assert all(re.match(NUMBERED_PATTERN, q) and re.match(QUERY_PATTERN, q) for q in good)
    assert not any(re.match(NUMBERED_PATTERN, q) or re.match(QUERY_PATTERN, q) for q in bad)
    assert re.match(QUERY_PATTERN, "Please save the text milk and eggs as /shopping.txt.")
    assert not re.match(NUMBERED_PATTERN, "How far is Paris from Berlin by road?")  # digits demanded
    # 12 words before the number were the most the grammar allowed, so the 1.5B glued 'in' to 'imperial'
    # ('for a measurement inimperial, 1 foot …', four accepted rows of one run); 13 words fit now
    assert re.match(NUMBERED_PATTERN, "What is the conversion factor from feet to inches for a measurement in "
                                      "imperial, 1 foot equals how many inches?")


def test_a_count_of_weeks_offers_its_days_to_a_day_offset():
    """'3 weeks before 2023-04-10': the grammar left `days` out (no word 'days'), so the 1.5B called
    date_arithmetic with the start alone and stated the start date as the answer."""
    from builders.methods.grounding import ground_parameters
    from builders.tools import builtin_tools

    params = builtin_tools()["date_arithmetic"].parameters
    days = ground_parameters(params, "What is the date 3 weeks before 2023-04-10 and what is its weekday?")["properties"]
    assert -21 in days["days"]["enum"] and 21 in days["days"]["enum"]
    assert "days" not in ground_parameters(params, "How many weeks are between 2023-04-10 and 2023-05-10?")["properties"]
    assert "days" not in ground_parameters(params, "What weekday is 2023-04-10?")["properties"]
