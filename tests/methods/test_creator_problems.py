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
    assert {p.category for p in problems} == {"arithmetic", "algebra", "tables", "dates", "units"}
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
