"""Answer checking: numbers, fractions, percentages, separators, units, currency, dates, words."""

import pytest

from builders.methods.creator.answers import (equivalent, final_answer, parse_answer, parse_prediction,
                                              requested_decimals, requested_unit, rounds_to, state)

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
    ("**7**", "7"), ("-8", "-8"), ("(2.0, 3.0)", "2 and 3"),
]
DIFFERENT = [
    ("5.1", "5"), ("43", "42"), ("68 euros", "$68"), ("1157.6", "1157.63"), ("1500 kg", "1.5 km"),
    ("2024-03-06", "2024-03-05"), ("Monday", "Tuesday"), ("Monday or Tuesday, or maybe Wednesday", "Tuesday"),
    ("", "42"), (None, "42"), ("no idea", "42"), ("5/0", "5"), ("3", "2 and 3"), ("0.3", "3"),
    ("2.5%", "25%"), ("8", "-8"),
    # the 1.5B's linear-system tool printed (x, y) with x wrong; the last number matched the gold x
    ("(-4.0, 4.0)", "4"), ("(-8.0, 8.0)", "8"), ("[3, 4]", "4"),
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


# ----------------------------------------------------------------------------- the question's requested form

CENT = "You deposit $2500 at 4% per year, compounded yearly. How much after 6 years? Round to the nearest cent."
TWO = "How many miles is 410 kilometers? Round to two decimal places."
WHOLE = "A recipe needs 2.35 cups per cake. How many cups for 7 cakes? Round to the nearest whole number."
TENTH = "What is the mean of 3, 4 and 4? Round to the nearest tenth."
IF_NEEDED = "What is the mean number of books read? Round to two decimal places if needed."


@pytest.mark.parametrize("question,places", [
    (CENT, 2), (TWO, 2), (WHOLE, 0), (TENTH, 1), (IF_NEEDED, 2), ("Give it to 3 decimal places.", 3),
    ("Round your answer to one decimal place.", 1), ("Round to the nearest integer.", 0),
    ("Round to the nearest hundredth.", 2), ("How many days are there from May 1 to June 3?", None),
    ("How old are they, in whole years, on June 14, 2018?", None), ("", None),
])
def test_requested_decimals(question, places):
    assert requested_decimals(question) == places


ROUNDED_RIGHT = [
    ("$3163.30", "$3163.30", CENT), ("3163.30", "$3163.30", CENT), ("3163.3", "$3163.30", CENT),
    ("$3,163.30", "$3163.30", CENT), ("254.76 miles", "254.76 miles", TWO), ("254.76", "254.76 miles", TWO),
    ("16", "16", WHOLE), ("16.0", "16", WHOLE), ("3.7", "3.7", TENTH), ("22", "22.00", IF_NEEDED),
    ("22.33", "22.33", IF_NEEDED), ("-2.42%", "-2.42%", "By what percent? Round to two decimal places."),
]
NOT_ROUNDED_OR_WRONG = [
    ("3163.297546240001", "$3163.30", CENT),      # the defect of issue 23: unrounded where the cent was asked
    ("3163.2975", "$3163.30", CENT), ("3163.29", "$3163.30", CENT), ("3163.31", "$3163.30", CENT),
    ("200.70000000000002", "$200.70", "What is the sale price? Round to the nearest cent."),  # float noise
    ("254.7612", "254.76 miles", TWO), ("254.77", "254.76 miles", TWO),
    ("16.45", "16", WHOLE), ("17", "16", WHOLE), ("3.67", "3.7", TENTH), ("22.333", "22.33", IF_NEEDED),
    ("-2.4234%", "-2.42%", "By what percent? Round to two decimal places."),
]


@pytest.mark.parametrize("said,gold,question", ROUNDED_RIGHT)
def test_rounded_as_asked_is_right(said, gold, question):
    assert equivalent(said, gold, question=question)


@pytest.mark.parametrize("said,gold,question", NOT_ROUNDED_OR_WRONG)
def test_unrounded_or_wrongly_rounded_is_wrong(said, gold, question):
    assert not equivalent(said, gold, question=question)
    # without the question only the gold's decimals count: the unrounded value passes there
    if said in ("3163.297546240001", "3163.2975", "254.7612"):
        assert equivalent(said, gold)


def test_rounding_is_half_up_not_bankers():
    q = "Round to two decimal places."
    assert equivalent("1.13", "1.13", question=q) and state("1.125", q) == "1.13" and state("2.675", q) == "2.68"
    assert state("-1.125", q) == "-1.13"


@pytest.mark.parametrize("printed,question,stated", [
    ("3163.297546240001", CENT, "$3163.30"),
    ("200.70000000000002", "A $223 coat is on sale for 10% off. What is the sale price in dollars?", "$200.70"),
    ("665.0", "A shop sells 19 sandwiches a day at $2.50 each. How much money does it make in 14 days?", "$665"),
    ("200.70000000000002", "What is 223 times 0.9?", "200.7"),
    ("0.30000000000000004", "What is 0.1 + 0.2?", "0.3"),
    ("254.76123", TWO, "254.76 miles"), ("216.0514 lb", "How many pounds is 98 kg? Round to two decimal places.",
                                         "216.05 lb"),
    ("36.111111", "What is 97 degrees Fahrenheit in degrees Celsius? Round to two decimal places.",
     "36.11 degrees Celsius"),
    ("607", "How many days are there from July 23, 2011 to March 21, 2013?", "607 days"),
    ("16.45", WHOLE, "16"), ("3.6666", TENTH, "3.7"), ("22.0", IF_NEEDED, "22"), ("19.4", IF_NEEDED, "19.40"),
    ("22.0", TWO, "22.00 miles"), ("-13.2571%", "By what percent did it change? Round to two decimal places.", "-13.26%"),
    ("-2.4234", "By what percent did it change? Give a negative percent for a decrease, rounded to two decimal "
                "places.", "-2.42%"),
    ("-0.024234", "By what percent did it change? Round to two decimal places.", "-0.02%"),   # a ratio: wrong, said so
    ("7", "How many more stickers does Chloe have than Jonas?", "7"),
    ("5", "A pen costs $2. How many pens can you buy with $10?", "5"),
    ("Sunday", "On what day of the week was September 6, 2020?", "Sunday"),
    ("2000-06-01", "What date is 173 days after December 11, 1999? Answer as YYYY-MM-DD.", "2000-06-01"),
    ("no idea", CENT, "no idea"),
    ("The balance is 3163.297546240001 dollars", CENT, "$3163.30"),
    ("It travels 254.76123 miles in all", TWO, "254.76 miles"),
])
def test_state_says_the_answer_as_the_question_asks(printed, question, stated):
    assert state(printed, question) == stated


def test_a_ratio_printed_for_a_percent_question_is_wrong():
    q = "By what percent did it change? Round to two decimal places."
    assert equivalent(state("-2.4234", q), "-2.42%", question=q)
    assert not equivalent(state("-0.024234", q), "-2.42%", question=q)


def test_requested_unit():
    assert requested_unit("How many kilometers does it travel in 8 hours?") == "kilometers"
    assert requested_unit("What is its speed in meters per second?") == "meters per second"
    assert requested_unit("How many more stickers does Chloe have?") == ""


def test_rounds_to():
    assert rounds_to("3163.297546240001", "$3163.30") and rounds_to("3163.297546240001", "3163")
    assert rounds_to("-0.132571", "-13.26%") and not rounds_to("3163.297546240001", "3163.2")
    assert not rounds_to("3163.29", "3164") and not rounds_to("Sunday", "3")


def test_every_shipped_gold_is_stated_and_rounded_as_its_question_asks():
    """The shipped set's gold answers obey their own questions, and stating the gold's value as a
    program would print it (a float) gives back an answer equivalent to the gold."""
    from builders.methods.creator.problems import BUILTIN, load_problems
    for p in load_problems(BUILTIN):
        gold = parse_answer(p.answer)
        assert equivalent(p.answer, p.answer, question=p.prompt()), p.id
        if gold.kind == "number" and not gold.percent and not gold.unit:
            assert equivalent(state(repr(float(gold.value)), p.prompt()), p.answer, question=p.prompt()), p.id
