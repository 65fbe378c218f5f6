"""Problem sets: the questions CREATOR solves by making tools, each with a gold answer.

A problem set is JSONL (one object a line) or Parquet (one row a problem) with the fields

    id        unique in the set
    question  the question in words
    answer    the gold answer: a number, a fraction, a percentage, an amount with a unit or
              currency, an ISO date, or a word (see answers.py); a JSON number is fine too
    table     optional: a small table in text (TabMWP-like problems)
    context   optional: more text the question needs
    group     optional: problems sharing one core skill (CREATOR's tool-transfer setting); they
              run in order in one process, so later ones may reuse the tool made for the first
    category  optional: arithmetic, algebra, tables, dates, units, … (for reporting)

A bad file is a UserError naming the file, the line and the field: nothing runs on half a set.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from builders.errors import UserError
from builders.methods.creator.answers import equivalent, parse_answer, requested_decimals

SHIPPED = Path(__file__).resolve().parent / "data" / "problems.jsonl"
BUILTIN = "builtin"   # the name a recipe uses for the shipped set
_TEXT = ("id", "question", "table", "context", "group", "category")


@dataclass(frozen=True)
class Problem:
    id: str
    question: str
    answer: str
    table: str = ""
    context: str = ""
    group: str = ""
    category: str = ""

    @property
    def unit_group(self) -> str:
        """The work group: the problem's group, or the problem alone."""
        return self.group or self.id

    def prompt(self) -> str:
        """The problem as the model and the chat rows see it: table, context, then the question."""
        parts = []
        if self.table:
            parts.append("Table:\n" + self.table.strip())
        if self.context:
            parts.append(self.context.strip())
        parts.append(self.question.strip())
        return "\n\n".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)


def resolve(ref: str, base_dir: str | Path = ".") -> Path:
    """A recipe's problem-set reference → a path (`builtin` is the shipped set)."""
    if ref == BUILTIN:
        return SHIPPED
    path = Path(ref).expanduser()
    return path if path.is_absolute() else Path(base_dir) / path


def load_problems(ref: str | Path, base_dir: str | Path = ".") -> list[Problem]:
    path = resolve(str(ref), base_dir)
    if not path.is_file():
        raise UserError(f"{path}: no such problem set")
    rows = _read_parquet(path) if path.suffix == ".parquet" else _read_jsonl(path)
    problems, seen, errors = [], {}, []
    where = "row" if path.suffix == ".parquet" else "line"
    for line, row in rows:
        try:
            problem = problem_of(row)
        except ValueError as exc:
            errors.append(f"{path}: {where} {line}: {exc}")
            continue
        if problem.id in seen:
            errors.append(f"{path}: {where} {line}: field id: {problem.id!r} repeats {where} {seen[problem.id]}")
            continue
        seen[problem.id] = line
        problems.append(problem)
    if errors:
        raise UserError(*errors[:20])
    if not problems:
        raise UserError(f"{path}: the problem set is empty")
    return problems


def problem_of(row) -> Problem:
    """One problem from one row; ValueError("field X: …") when the row is bad."""
    if not isinstance(row, dict):
        raise ValueError(f"a problem must be an object, not {type(row).__name__}")
    for name in ("id", "question", "answer"):
        if row.get(name) in (None, ""):
            raise ValueError(f"field {name}: missing")
    values = {}
    for name in _TEXT:
        value = row.get(name)
        if value is None:
            value = ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and name in ("id", "group"):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"field {name}: must be a string, not {type(value).__name__}")
        values[name] = value
    answer = row["answer"]
    if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
        raise ValueError(f"field answer: must be a string or a number, not {type(answer).__name__}")
    answer = str(answer)
    if parse_answer(answer) is None:
        raise ValueError(f"field answer: {answer!r} is not a number, fraction, percentage, date or word answer")
    places = requested_decimals(values["question"])
    if places is not None and not equivalent(answer, answer, question=values["question"]):
        raise ValueError(f"field answer: {answer!r} is not rounded as the question asks ({places} decimal places)")
    return Problem(answer=answer, **values)


def _read_jsonl(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot be read: {exc}") from None
    errors, rows = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(f"{path}: line {n}: not valid JSON: {exc.msg} at column {exc.colno}")
    if errors:
        raise UserError(*errors[:20])
    return rows


def _read_parquet(path: Path):
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(f"{path}: not a readable Parquet file: {exc}") from None
    return [(n, row) for n, row in enumerate(table.to_pylist(), 1)]
