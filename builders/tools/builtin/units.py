"""Units and number notations: physical units, number bases, Roman numerals."""

from __future__ import annotations

from typing import Literal

from builders.tools.pyfuncs import tool

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


@tool("1", description=(
    "Convert a quantity from one unit to another of the same dimension: length (m km cm mm mi yd ft in), "
    "mass (kg g mg t lb oz), volume (l ml m3 gal qt cup), time (s min h day week), speed (m/s km/h mph kn), "
    "temperature (C F K). Fails if the units measure different things."),
    params={"value": {"description": "the quantity to convert"},
            "from_unit": {"enum": UNIT_NAMES}, "to_unit": {"enum": UNIT_NAMES}},
    examples=[{"arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"},
               "result": {"value": 3.106856, "unit": "mi", "dimension": "length"}}])
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



_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


@tool("1", params={"value": {"minLength": 1, "maxLength": 64}})
def convert_number_base(value: str, from_base: Literal[2, 8, 10, 16], to_base: Literal[2, 8, 10, 16]) -> dict:
    """Write a whole number given in base 2, 8, 10 or 16 in another of those bases.

    Args:
        value: the number's digits, e.g. "ff" or "-1011" (a 0x / 0b / 0o prefix is allowed)
        from_base: the base value is written in
        to_base: the base to write it in
    """
    text = value.strip().lower().replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    prefix = {2: "0b", 8: "0o", 16: "0x"}.get(from_base)
    if prefix and text.startswith(prefix):
        text = text[2:]
    try:
        number = sign * int(text, from_base)
    except ValueError:
        raise ValueError(f"{value!r} is not a base-{from_base} number") from None
    n, digits = abs(number), ""
    while True:
        n, d = divmod(n, to_base)
        digits = _DIGITS[d] + digits
        if n == 0:
            break
    return {"value": ("-" if number < 0 else "") + digits, "base": to_base, "decimal": number}


_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


@tool("1", params={"number": {"minimum": 1, "maximum": 3999}})
def int_to_roman(number: int) -> dict:
    """Write a whole number from 1 to 3999 as a Roman numeral.

    Args:
        number: e.g. 1994
    """
    if not 1 <= number <= 3999:
        raise ValueError("Roman numerals cover 1 to 3999")
    out, n = "", number
    for value, letters in _ROMAN:
        while n >= value:
            out += letters
            n -= value
    return {"number": number, "roman": out}


@tool("1", params={"numeral": {"minLength": 1, "maxLength": 20}})
def roman_to_int(numeral: str) -> dict:
    """Read a Roman numeral (I V X L C D M, e.g. "MCMXCIV") as a whole number. Fails on malformed numerals.

    Args:
        numeral: the Roman numeral, upper or lower case
    """
    text = numeral.strip().upper()
    if not text or set(text) - set("IVXLCDM"):
        raise ValueError(f"{numeral!r} is not a Roman numeral (letters I V X L C D M only)")
    total, i = 0, 0
    for value, letters in _ROMAN:
        while text.startswith(letters, i):
            total += value
            i += len(letters)
    if i != len(text) or int_to_roman(total)["roman"] != text:
        raise ValueError(f"{numeral!r} is not a well-formed Roman numeral")
    return {"roman": text, "number": total}
