"""Built-in tools: real, deterministic, offline Python functions.

Each function is what the sandbox runs; its spec lives in `catalogue.py`. They raise ValueError
with a clear message on bad input, which the sandbox reports as an execution error.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS = {
    "sqrt": math.sqrt, "log": math.log, "log10": math.log10, "exp": math.exp,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "abs": abs, "round": round,
    "floor": math.floor, "ceil": math.ceil, "min": min, "max": max,
}
_CONSTS = {"pi": math.pi, "e": math.e}


def calculator(expression: str) -> float | int:
    """Evaluate an arithmetic expression (+ - * / // % **, parentheses, sqrt, log, sin, pi …)."""
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from exc

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 1000:
                raise ValueError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Name) and node.id in _CONSTS:
            return _CONSTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])
        raise ValueError(f"unsupported element in expression: {ast.dump(node)[:60]}")

    try:
        result = ev(tree)
    except ZeroDivisionError as exc:
        raise ValueError("division by zero") from exc
    if isinstance(result, float) and result.is_integer() and abs(result) < 2**53:
        return int(result)
    return result


# Factors to the SI base unit of each dimension; temperature is handled apart (offsets).
_UNITS = {
    "length": {"m": 1.0, "km": 1000.0, "cm": 0.01, "mm": 0.001, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048, "in": 0.0254},
    "mass": {"kg": 1.0, "g": 0.001, "mg": 1e-6, "t": 1000.0, "lb": 0.45359237, "oz": 0.028349523125},
    "volume": {"l": 1.0, "ml": 0.001, "m3": 1000.0, "gal": 3.785411784, "qt": 0.946352946, "cup": 0.2365882365},
    "time": {"s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0, "week": 604800.0},
    "speed": {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704, "kn": 0.514444},
}
_TEMPERATURE = ("C", "F", "K")
UNIT_NAMES = sorted({u for table in _UNITS.values() for u in table} | set(_TEMPERATURE))


def _to_kelvin(value: float, unit: str) -> float:
    return {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[unit]


def _from_kelvin(value: float, unit: str) -> float:
    return {"C": value - 273.15, "F": (value - 273.15) * 9 / 5 + 32, "K": value}[unit]


def convert_units(value: float, from_unit: str, to_unit: str) -> dict:
    """Convert a quantity between units of the same dimension (length, mass, volume, time, speed, temperature)."""
    if from_unit in _TEMPERATURE and to_unit in _TEMPERATURE:
        result = _from_kelvin(_to_kelvin(value, from_unit), to_unit)
        return {"value": round(result, 6), "unit": to_unit, "dimension": "temperature"}
    for dimension, table in _UNITS.items():
        if from_unit in table and to_unit in table:
            result = value * table[from_unit] / table[to_unit]
            return {"value": round(result, 6), "unit": to_unit, "dimension": dimension}
    known = [u for u in (from_unit, to_unit) if u in UNIT_NAMES]
    if len(known) < 2:
        raise ValueError(f"unknown unit: {[u for u in (from_unit, to_unit) if u not in UNIT_NAMES]}")
    raise ValueError(f"cannot convert {from_unit} to {to_unit}: different dimensions")


def date_arithmetic(start: str, days: int = 0, end: str | None = None) -> dict:
    """Add days to a date, or count the days between two dates (ISO YYYY-MM-DD)."""
    try:
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise ValueError(f"dates must be YYYY-MM-DD: {exc}") from exc
    if last is not None:
        delta = (last - first).days
        return {"start": first.isoformat(), "end": last.isoformat(), "days_between": delta,
                "weeks_between": round(delta / 7, 3)}
    try:
        result = first + dt.timedelta(days=days)
    except OverflowError as exc:
        raise ValueError("resulting date is out of range") from exc
    return {"start": first.isoformat(), "days_added": days, "date": result.isoformat(),
            "weekday": result.strftime("%A")}
