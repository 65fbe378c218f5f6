"""Answer checking: numbers, fractions, percentages, separators, units, currency, dates, words."""

import pytest

from builders.methods.creator.answers import equivalent, final_answer, parse_answer, parse_prediction

SAME = [
    ("42", "42"), ("42.0", "42"), ("1,848", "1848"), ("$1,848.00", "$1848"), ("1848 dollars", "$1848"),
    ("12 USD", "$12"),
    ("3/4", "0.75"), ("0.75", "3/4"), ("1 1/2", "1.5"), ("-1 1/2", "-1.5"), ("1.5e3", "1500"),
    ("25", "25%"), ("0.25", "25%"), ("25%", "0.25"), ("25 percent", "25%"),
    ("1157.625", "1157.63"), ("1157.63", "1157.63"), ("3.14159", "3.14"), ("0.30000000000000004", "0.3"),
    ("1500 m", "1.5 km"), ("1.5 kilometers", "1500 meters"), ("254.76", "254.76 miles"), ("216.05 lb", "216.05 pounds"),
    ("12.5 km/h", "12.5 kilometers per hour"), ("50 cents", "$0.50"), ("20 °C", "20 celsius"),
    ("2024-03-05", "March 5, 2024"), ("5 March 2024", "2024-03-05"), ("03/05/2024", "2024-03-05"),
    ("2024-03-05 00:00:00", "2024-03-05"), ("Tuesday, March 5, 2024", "2024-03-05"),
    ("Tuesday", "tuesday"), ("It is Tuesday.", "Tuesday"), ("True", "yes"), ("three", "3"),
    ("3, 2", "2 and 3"), ("x = 5", "5"), ("The answer is 42 apples.", "42"), ("The total is $12.50.", "12.5"),
    ("**7**", "7"), ("-8", "-8"),
]
DIFFERENT = [
    ("5.1", "5"), ("43", "42"), ("68 euros", "$68"), ("1157.6", "1157.63"), ("1500 kg", "1.5 km"),
    ("2024-03-06", "2024-03-05"), ("Monday", "Tuesday"), ("Monday or Tuesday, or maybe Wednesday", "Tuesday"),
    ("", "42"), (None, "42"), ("no idea", "42"), ("5/0", "5"), ("3", "2 and 3"), ("0.3", "3"),
    ("2.5%", "25%"), ("8", "-8"),
]


@pytest.mark.parametrize("said,gold", SAME)
def test_equivalent(said, gold):
    assert equivalent(said, gold)


@pytest.mark.parametrize("said,gold", DIFFERENT)
def test_not_equivalent(said, gold):
    assert not equivalent(said, gold)


def test_rounding_rule_follows_the_gold_decimals():
    assert equivalent("2.345", "2.35") and not equivalent("2.34", "2.35")
    assert not equivalent("2.4", "2")      # an integer gold admits float noise only
    assert equivalent("2.0000000001", "2")


@pytest.mark.parametrize("text", ["", "   ", "3..5", "12 @#", "[1, 2]", None, True, "2024-13-45"])
def test_unparsable_gold(text):
    assert parse_answer(text) is None


def test_parsed_forms():
    a = parse_answer("$1,234.50")
    assert (a.kind, float(a.value), a.unit, a.decimals) == ("number", 1234.5, "$", 2)
    assert parse_answer("25%").percent
    assert parse_answer("12 apples").unit == "apple"
    assert parse_answer("2024-02-29").kind == "date"
    assert parse_answer(7).value == 7
    with pytest.raises(ValueError):
        equivalent("1", "")


def test_prediction_takes_the_last_number_or_date():
    assert float(parse_prediction("first 3 then 4.5 km").value) == 4.5
    assert parse_prediction("It falls on 2024-03-05, a Tuesday").kind == "date"


def test_final_answer_line():
    assert final_answer("working...\nFinal Answer: 42\n") == "42"
    assert final_answer("Final Answer: 1\nfinal answer = 2") == "2"
    assert final_answer("FINAL ANSWER:\n  7\n") == "7"
    assert final_answer("the answer is 42") is None
    assert final_answer("") is None
