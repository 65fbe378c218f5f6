"""JSON and CSV manipulation: paths into JSON, CSV parsing and writing, sorting, filtering and
grouping lists of records (JSON objects)."""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Literal

from builders.tools.pyfuncs import tool

Delimiter = Literal[",", ";", "\t", "|"]
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(-?\d+)\]")


@tool("1", params={"path": {"maxLength": 200}})
def json_get(data: dict, path: str) -> dict:
    """Read the value at a path inside a JSON object, e.g. "orders[0].items[1].price"; an empty path
    gives the whole object. Fails when a key or index is missing.

    Args:
        data: the JSON object to read
        path: keys separated by dots, list indexes in brackets (negative counts from the end)
    """
    value, walked = data, ""
    for m in _STEP.finditer(path):
        key, index = m.group(1), m.group(2)
        if index is not None:
            if not isinstance(value, list):
                raise ValueError(f"{walked or '(top)'} is not a list, cannot take [{index}]")
            try:
                value = value[int(index)]
            except IndexError:
                raise ValueError(f"{walked or '(top)'} has {len(value)} items, no [{index}]") from None
            walked += f"[{index}]"
        else:
            if not isinstance(value, dict):
                raise ValueError(f"{walked or '(top)'} is not an object, cannot take .{key}")
            if key not in value:
                raise ValueError(f"{walked or '(top)'} has no key {key!r} (keys: {', '.join(map(str, list(value)[:20]))})")
            value = value[key]
            walked += ("." if walked else "") + key
    return {"path": path, "value": value, "type": type(value).__name__}


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
            return value if math.isfinite(value) else text
        except ValueError:
            return text


@tool("1", params={"text": {"minLength": 1, "maxLength": 50000}})
def parse_csv(text: str, delimiter: Delimiter = ",", has_header: bool = True, convert_numbers: bool = True) -> dict:
    """Parse CSV text into a list of records (one object per row, keyed by the header) or, without a
    header, a list of lists. Fails when a row has more fields than the header.

    Args:
        text: the CSV text, e.g. "name,age\\nAna,31\\nBo,27"
        delimiter: the field separator
        has_header: whether the first row names the columns
        convert_numbers: turn fields that look like numbers into numbers
    """
    rows = list(csv.reader(io.StringIO(text.strip("\n")), delimiter=delimiter))
    conv = _number if convert_numbers else (lambda s: s)
    if not has_header:
        return {"rows": [[conv(v) for v in r] for r in rows], "row_count": len(rows)}
    if not rows:
        raise ValueError("no header row")
    header = rows[0]
    records = []
    for n, r in enumerate(rows[1:], 2):
        if len(r) > len(header):
            raise ValueError(f"row {n} has {len(r)} fields but the header has {len(header)}")
        records.append({h: conv(v) for h, v in zip(header, r + [""] * (len(header) - len(r)))})
    return {"columns": header, "records": records, "row_count": len(records)}


@tool("1", params={"records": {"minItems": 1, "maxItems": 1000}})
def to_csv(records: list[dict], delimiter: Delimiter = ",") -> dict:
    """Write a list of records (JSON objects) as CSV text; the columns are all keys in order of first
    appearance, missing values are left empty.

    Args:
        records: e.g. [{"name": "Ana", "age": 31}, {"name": "Bo"}]
        delimiter: the field separator
    """
    columns: list[str] = []
    for r in records:
        if not isinstance(r, dict):
            raise ValueError("each record must be a JSON object")
        columns += [k for k in r if k not in columns]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, delimiter=delimiter, lineterminator="\n")
    w.writeheader()
    w.writerows(records)
    return {"csv": buf.getvalue(), "columns": columns, "row_count": len(records)}


def _check_field(records: list[dict], field: str) -> None:
    if not any(field in r for r in records):
        keys = sorted({k for r in records for k in r})
        raise ValueError(f"no record has the field {field!r} (fields: {', '.join(keys[:20])})")


@tool("1", params={"records": {"maxItems": 1000}})
def sort_records(records: list[dict], key: str, descending: bool = False) -> dict:
    """Sort records (JSON objects) by one field; records without the field go last.

    Args:
        records: the records to sort
        key: the field to sort by
        descending: largest first
    """
    _check_field(records, key)
    have = [r for r in records if r.get(key) is not None]
    rest = [r for r in records if r.get(key) is None]
    try:
        have.sort(key=lambda r: r[key], reverse=descending)
    except TypeError:
        have.sort(key=lambda r: str(r[key]), reverse=descending)
    return {"records": have + rest, "count": len(records)}


_OPS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
        "contains": lambda a, b: str(b).lower() in str(a).lower(),
        "startswith": lambda a, b: str(a).lower().startswith(str(b).lower())}


@tool("1", params={"records": {"maxItems": 1000}})
def filter_records(records: list[dict], field: str,
                   operator: Literal["eq", "ne", "lt", "le", "gt", "ge", "contains", "startswith"],
                   value: str | float | bool) -> dict:
    """Keep the records (JSON objects) whose field compares to a value: eq, ne, lt, le, gt, ge, or
    contains / startswith (text, case-insensitive).

    Args:
        records: the records to filter
        field: the field to test
        operator: the comparison
        value: the value to compare with
    """
    _check_field(records, field)
    test = _OPS[operator]
    kept = []
    for r in records:
        if field not in r:
            continue
        try:
            if test(r[field], value):
                kept.append(r)
        except TypeError:
            raise ValueError(f"cannot compare {r[field]!r} with {value!r} using {operator}") from None
    return {"records": kept, "count": len(kept), "of": len(records)}


@tool("1", params={"records": {"minItems": 1, "maxItems": 1000}})
def group_aggregate(records: list[dict], group_by: str,
                    aggregate: Literal["count", "sum", "mean", "min", "max"] = "count",
                    field: str | None = None) -> dict:
    """Group records (JSON objects) by a field and count each group, or sum / average / take the min
    or max of another numeric field. Fails when that field is missing or not numeric.

    Args:
        records: the records to group
        group_by: the field whose values form the groups
        aggregate: what to compute per group
        field: the numeric field to aggregate (not needed for count)
    """
    _check_field(records, group_by)
    if aggregate != "count":
        if not field:
            raise ValueError(f"aggregate {aggregate!r} needs a field")
        _check_field(records, field)
    groups: dict[str, list] = {}
    for r in records:
        key = str(r.get(group_by))
        if aggregate == "count":
            groups.setdefault(key, []).append(1)
            continue
        v = r.get(field)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"field {field!r} has a non-numeric value {v!r}")
        groups.setdefault(key, []).append(v)
    fn = {"count": len, "sum": math.fsum, "mean": lambda v: math.fsum(v) / len(v), "min": min, "max": max}[aggregate]
    out = [{group_by: k, aggregate: round(fn(v), 10)} for k, v in sorted(groups.items())]
    return {"groups": out, "count": len(out)}
