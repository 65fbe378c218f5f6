"""The built-in catalogue, and resolution of a recipe's `tools` list into Tool objects."""

from __future__ import annotations

from builders.errors import UserError
from builders.tools.builtin import UNIT_NAMES
from builders.tools.spec import Tool


def _builtin(function: str, description: str, parameters: dict, version: str = "1") -> Tool:
    return Tool(
        name=function,
        description=description,
        parameters=parameters,
        target={"kind": "python", "module": "builders.tools.builtin", "function": function},
        version=version,
    )


BUILTIN: dict[str, Tool] = {t.name: t for t in [
    _builtin(
        "calculator",
        "Evaluate an arithmetic expression. Supports + - * / // % ** and parentheses, "
        "the functions sqrt, log, log10, exp, sin, cos, tan, abs, round, floor, ceil, min, max "
        "and the constants pi and e. Fails on anything else or on division by zero.",
        {
            "type": "object",
            "properties": {"expression": {"type": "string", "minLength": 1, "maxLength": 200,
                                          "description": "e.g. '(12.5 * 4) / 3' or 'sqrt(2) * pi'"}},
            "required": ["expression"],
            "additionalProperties": False,
        },
    ),
    _builtin(
        "convert_units",
        "Convert a quantity from one unit to another of the same dimension: length (m km cm mm mi yd ft in), "
        "mass (kg g mg t lb oz), volume (l ml m3 gal qt cup), time (s min h day week), speed (m/s km/h mph kn), "
        "temperature (C F K). Fails if the units measure different things.",
        {
            "type": "object",
            "properties": {
                "value": {"type": "number", "description": "the quantity to convert"},
                "from_unit": {"type": "string", "enum": UNIT_NAMES},
                "to_unit": {"type": "string", "enum": UNIT_NAMES},
            },
            "required": ["value", "from_unit", "to_unit"],
            "additionalProperties": False,
        },
    ),
    _builtin(
        "date_arithmetic",
        "Date arithmetic on ISO dates (YYYY-MM-DD): give `start` and `days` to get the date that many days "
        "later (negative for earlier) and its weekday, or `start` and `end` to count the days between them.",
        {
            "type": "object",
            "properties": {
                "start": {"type": "string", "format": "date", "description": "YYYY-MM-DD"},
                "days": {"type": "integer", "minimum": -100000, "maximum": 100000},
                "end": {"type": "string", "format": "date", "description": "YYYY-MM-DD"},
            },
            "required": ["start"],
            "additionalProperties": False,
        },
    ),
]}


def builtin_tools() -> dict[str, Tool]:
    return dict(BUILTIN)


def resolve_tools(entries: list, source: str = "recipe") -> list[Tool]:
    """Turn a recipe's `tools` list (built-in names, or "all") into Tool objects, in order."""
    tools: list[Tool] = []
    problems = []
    for i, entry in enumerate(entries):
        if entry == "all":
            tools.extend(BUILTIN.values())
        elif isinstance(entry, str) and entry in BUILTIN:
            tools.append(BUILTIN[entry])
        else:
            problems.append(f"{source}: tools[{i}]: unknown tool {entry!r} (built-in: {', '.join(sorted(BUILTIN))})")
    seen = set()
    for tool in tools:
        if tool.name in seen:
            problems.append(f"{source}: tools: {tool.name!r} is listed twice")
        seen.add(tool.name)
    if problems:
        raise UserError(*problems)
    return tools
