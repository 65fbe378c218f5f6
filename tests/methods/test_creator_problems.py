"""Problem sets: the loader's errors, the shipped set rebuilt byte for byte, answers checked anew."""

import calendar
import datetime as dt
import json
import math
import re
from fractions import Fraction

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builders.errors import UserError
from builders.methods.creator.answers import equivalent
from builders.methods.creator.data import build_problems
from builders.methods.creator.problems import SHIPPED, load_problems


def write(tmp_path, lines, name="p.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


GOOD = {"id": "a", "question": "What is 2 + 2?", "answer": "4"}


def test_loads_jsonl_and_parquet(tmp_path):
    rows = [GOOD, {"id": "b", "question": "Q?", "answer": 3.5, "table": "x | y\n1 | 2", "group": "g"}]
    problems = load_problems(write(tmp_path, rows))
    assert [p.id for p in problems] == ["a", "b"] and problems[1].answer == "3.5"
    assert problems[1].unit_group == "g" and problems[0].unit_group == "a"
    assert problems[1].prompt().startswith("Table:\nx | y")
    pq.write_table(pa.Table.from_pylist([{**GOOD, "answer": "4"}]), tmp_path / "p.parquet")
    assert load_problems(tmp_path / "p.parquet")[0].question == "What is 2 + 2?"
    with pytest.raises(AttributeError):
        problems[0].id = "changed"  # frozen


@pytest.mark.parametrize("line,expected", [
    ({"id": "a", "answer": "4"}, "line 2: field question: missing"),
    ({"id": "a", "question": "Q", "answer": "3..5"}, "line 2: field answer: '3..5' is not a number"),
    ({"id": "a", "question": "Q", "answer": ""}, "line 2: field answer: missing"),
    ({"id": "a", "question": "Q", "answer": [1]}, "line 2: field answer: must be a string or a number"),
    ({"id": "a", "question": "Q", "answer": "1", "table": 5}, "line 2: field table: must be a string"),
    ({"id": "a", "question": "How much? Round to the nearest cent.", "answer": "$3163.2975"},
     "line 2: field answer: '$3163.2975' is not rounded as the question asks (2 decimal places)"),
    ('{"id": "a", "question": ', "line 2: not valid JSON"),
    ({"id": "x0", "question": "Q", "answer": "1"}, "line 2: field id: 'x0' repeats line 1"),
    ([1, 2], "line 2: a problem must be an object"),
])
def test_bad_lines_name_file_line_and_field(tmp_path, line, expected):
    path = write(tmp_path, [{"id": "x0", "question": "Q", "answer": "1"}, line])
    with pytest.raises(UserError) as err:
        load_problems(path)
    assert str(err.value).startswith(f"{path}: {expected}"), str(err.value)


def test_bad_files(tmp_path):
    with pytest.raises(UserError, match="no such problem set"):
        load_problems(tmp_path / "missing.jsonl")
    with pytest.raises(UserError, match="empty"):
        load_problems(write(tmp_path, [""]))
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(UserError, match="not a readable Parquet file"):
        load_problems(tmp_path / "bad.parquet")
    pq.write_table(pa.Table.from_pylist([{"id": "a", "question": "Q"}]), tmp_path / "p.parquet")
    with pytest.raises(UserError, match=r"p.parquet: row 1: field answer: missing"):
        load_problems(tmp_path / "p.parquet")


# ----------------------------------------------------------------------------- the shipped set

def test_builder_rewrites_the_shipped_file_exactly():
    assert build_problems.render(build_problems.build()) == SHIPPED.read_text(encoding="utf-8")
    assert build_problems.main(["--check"]) == 0


def test_shipped_set_shape():
    problems = load_problems("builtin")
    assert len(problems) >= 100
    assert {p.category for p in problems} == {"arithmetic", "algebra", "tables", "dates", "units", "multistep"}
    assert sum(p.category == "multistep" for p in problems) == 24
    groups = {}
    for p in problems:
        if p.group:
            groups.setdefault(p.group, []).append(p)
    assert len(groups) >= 20 and all(len(g) == 3 for g in groups.values())
    assert sum(bool(p.table) for p in problems) >= 20


def _by(skill):
    return [p for p in load_problems("builtin") if f"/{skill}/" in p.id]


def _ints(text):
    return [int(x) for x in re.findall(r"-?\d+", text)]


def _date(text):
    return [dt.datetime.strptime(m, "%B %d, %Y").date()
            for m in re.findall(r"[A-Z][a-z]+ \d{1,2}, \d{4}", text)]


def test_answers_checked_independently():
    """Each skill's answers recomputed another way, from the question text alone."""
    for p in _by("linear_equation"):
        a, sign, b, c = re.match(r"Solve for x: (\d+)x ([+-]) (\d+) = (-?\d+)", p.question).groups()
        a, b, c = int(a), int(b) * (1 if sign == "+" else -1), int(c)
        assert a * int(p.answer) + b == c
    for p in _by("quadratic_root"):
        x = int(p.answer)
        b, c = [int(s.replace(" ", "")) for s in re.findall(r"([+-] \d+)", p.question)]
        assert x * x + b * x + c == 0 and all(r <= x for r in range(-50, 50) if r * r + b * r + c == 0)
    for p in _by("days_between"):
        a, b = _date(p.question)
        assert int(p.answer) == b.toordinal() - a.toordinal()
    for p in _by("weekday_of"):
        (d,) = _date(p.question)
        assert p.answer == calendar.day_name[calendar.weekday(d.year, d.month, d.day)]
    for p in _by("compound_interest"):
        principal, rate, years = _ints(p.question)[:3]
        assert equivalent(str(principal * (1 + rate / 100) ** years), p.answer)
    for p in _by("lcm_schedule"):
        a, b = _ints(p.question)[:2]
        assert int(p.answer) == a * b // math.gcd(a, b)
    for p in _by("table_purchase"):
        prices = {row.split(" | ")[0]: Fraction(row.split(" | ")[1].lstrip("$")) for row in p.table.splitlines()[1:]}
        (qa, a), (qb, b) = re.findall(r"(\d+) ([a-z ]+?)s?(?= and|\?)", p.question)
        assert equivalent(str(float(int(qa) * prices[a] + int(qb) * prices[b])), p.answer)
    for p in _by("table_median"):
        values = sorted(int(r.split(" | ")[1]) for r in p.table.splitlines()[1:])
        n = len(values)
        assert equivalent(str((values[(n - 1) // 2] + values[n // 2]) / 2), p.answer)
    for p in _by("fahrenheit_to_celsius"):
        (f,) = _ints(p.question)[:1]
        assert equivalent(str((f - 32) / 1.8), p.answer)
    for p in _by("km_to_miles"):
        assert equivalent(str(_ints(p.question)[0] * 0.621371192), p.answer)


def _roman(text):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for a, b in zip(text, text[1:] + " "):
        total += -values[a] if values.get(b, 0) > values[a] else values[a]
    return total


def _minutes(clock):
    h, m, half = re.match(r"(\d+):(\d+) (AM|PM)", clock).groups()
    return (int(h) % 12 + (12 if half == "PM" else 0)) * 60 + int(m)


def test_multistep_answers_checked_independently():
    """The harder category's gold answers recomputed another way (floats and loops, not the builder's
    Fractions and formulas), from the question text alone."""
    for p in _by("loan_payment"):
        principal, years, rate = (float(x.replace(",", "")) for x in
                                  re.search(r"\$([\d,]+) .* over (\d+) years at (\d+)%", p.question).groups())
        # the payment that brings the balance to zero, found by bisection on the month-by-month balance
        low, high = 0.0, principal
        for _ in range(100):
            pay = (low + high) / 2
            balance = principal
            for _ in range(int(years * 12)):
                balance = balance * (1 + rate / 1200) - pay
            low, high = (pay, high) if balance > 0 else (low, pay)
        assert p.answer == f"${pay:.2f}", p.id
    for p in _by("monthly_savings"):
        deposit, rate, years = map(int, re.search(r"\$(\d+) .* pays (\d+)% .* after (\d+) years", p.question).groups())
        balance = 0.0
        for _ in range(12 * years):
            balance = balance * (1 + rate / 1200) + deposit
        assert p.answer == f"${balance:.2f}", p.id
    for p in _by("nth_weekday"):
        nth, day, month, year = re.search(r"the (\w+) (\w+) of (\w+) (\d+)", p.question).groups()
        first = dt.date(int(year), list(calendar.month_name).index(month), 1)
        matches = [first + dt.timedelta(k) for k in range(31)
                   if (first + dt.timedelta(k)).month == first.month and f"{first + dt.timedelta(k):%A}" == day]
        want = matches[-1] if nth == "last" else matches[["first", "second", "third", "fourth"].index(nth)]
        assert p.answer == want.isoformat(), p.id
    for p in _by("weekdays_between"):
        a, b = _date(p.question)
        full_weeks, rest = divmod(b.toordinal() - a.toordinal() + 1, 7)
        assert int(p.answer) == 5 * full_weeks + sum((a.weekday() + k) % 7 < 5 for k in range(rest)), p.id
    for p in _by("shift_minutes"):
        start, end = re.findall(r"\d+:\d+ [AP]M", p.question)
        minutes = _minutes(end) - _minutes(start) + (24 * 60 if "next day" in p.question else 0)
        assert 0 < minutes < 24 * 60 and int(p.answer) == minutes, p.id
    for p in _by("roman_sum"):
        a, b = re.search(r"What is ([IVXLCDM]+) plus ([IVXLCDM]+)\?", p.question).groups()
        assert int(p.answer) == _roman(a) + _roman(b), p.id
