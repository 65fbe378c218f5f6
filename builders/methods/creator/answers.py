"""Answer checking: is the model's final answer the gold answer, written another way?

Gold answers and predictions are parsed into an `Answer`: a number (exact Fraction when the text
is exact, with the unit or currency it carried and whether it was a percentage), a date, a list of
numbers, or a word. Two answers are equivalent when

  numbers   they are equal within float noise (relative 1e-6), or the gold is written with k
            decimals and the prediction rounds to it (gold 1157.63, predicted 1157.625); a
            percentage matches its value or its fraction (25% ~ 25 ~ 0.25); units of one dimension
            are converted (1.5 km ~ 1500 m); a missing unit on either side is not held against it;
            different currencies or dimensions never match
  dates     the same day, however written (2024-03-05, March 5, 2024, 5 March 2024, 03/05/2024)
  lists     the same numbers in any order (the roots of an equation)
  words     the same words after case, punctuation and articles are dropped (Tuesday, yes)

Given the question, the check also holds the answer to the form the question asks for: where it
says "Round to the nearest cent / whole number / tenth / two decimal places", a number written
with more decimals than that (3163.297546240001, or float noise such as 200.70000000000002) is
wrong, and the rounded value must be the gold's.

`state(printed, question)` says a program's printed value as a person would answer that question:
rounded as asked (half up), float noise dropped, money as "$200.70", a percent sign where it asks
"what percent", a unit the question asks for ("how many miles", "in degrees Celsius") after the
number. It reads the question only, never the gold answer.

sympy did not earn its place: the shipped problems have numeric, date or word answers, and
fractions, percentages and units are parsed here exactly.
"""

from __future__ import annotations

import calendar
import math
import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction

REL_TOL = 1e-6


@dataclass(frozen=True)
class Answer:
    kind: str                      # number | date | list | text
    value: object                  # Fraction | float | date | tuple[Answer, ...] | str
    unit: str = ""                 # normalised unit or currency symbol ("" for none)
    percent: bool = False
    decimals: int | None = None    # decimals written in the text (None: not a decimal number)


# ----------------------------------------------------------------------------- units

_UNITS = {  # spelling → (normal name, dimension, factor to the dimension's base)
    **{w: ("km", "length", 1000) for w in ("km", "kilometer", "kilometers", "kilometre", "kilometres")},
    **{w: ("m", "length", 1) for w in ("m", "meter", "meters", "metre", "metres")},
    **{w: ("cm", "length", Fraction(1, 100)) for w in ("cm", "centimeter", "centimeters", "centimetre", "centimetres")},
    **{w: ("mm", "length", Fraction(1, 1000)) for w in ("mm", "millimeter", "millimeters", "millimetre", "millimetres")},
    **{w: ("mi", "length", Fraction(1609344, 1000)) for w in ("mi", "mile", "miles")},
    **{w: ("ft", "length", Fraction(3048, 10000)) for w in ("ft", "foot", "feet")},
    **{w: ("in", "length", Fraction(254, 10000)) for w in ("in", "inch", "inches")},
    **{w: ("yd", "length", Fraction(9144, 10000)) for w in ("yd", "yard", "yards")},
    **{w: ("kg", "mass", 1000) for w in ("kg", "kilogram", "kilograms", "kilo", "kilos")},
    **{w: ("g", "mass", 1) for w in ("g", "gram", "grams")},
    **{w: ("lb", "mass", Fraction(45359237, 100000)) for w in ("lb", "lbs", "pound", "pounds")},
    **{w: ("oz", "mass", Fraction(45359237, 1600000)) for w in ("oz", "ounce", "ounces")},
    **{w: ("L", "volume", 1000) for w in ("l", "liter", "liters", "litre", "litres")},
    **{w: ("mL", "volume", 1) for w in ("ml", "milliliter", "milliliters", "millilitre", "millilitres")},
    **{w: ("h", "time", 3600) for w in ("h", "hr", "hrs", "hour", "hours")},
    **{w: ("min", "time", 60) for w in ("min", "mins", "minute", "minutes")},
    **{w: ("s", "time", 1) for w in ("s", "sec", "secs", "second", "seconds")},
    **{w: ("day", "time", 86400) for w in ("day", "days")},
    **{w: ("week", "time", 604800) for w in ("week", "weeks")},
    **{w: ("km/h", "speed", Fraction(1000, 3600)) for w in ("km/h", "kph", "kmh", "kilometers per hour",
                                                             "kilometres per hour")},
    **{w: ("m/s", "speed", 1) for w in ("m/s", "meters per second", "metres per second")},
    **{w: ("mph", "speed", Fraction(1609344, 3600000)) for w in ("mph", "miles per hour")},
    **{w: ("°C", "temperature", None) for w in ("°c", "c", "celsius", "degrees celsius", "degree celsius",
                                                "degrees c", "° c")},
    **{w: ("°F", "temperature", None) for w in ("°f", "f", "fahrenheit", "degrees fahrenheit", "degrees f", "° f")},
}
_CURRENCY = {"$": "$", "usd": "$", "dollar": "$", "dollars": "$", "€": "€", "eur": "€", "euro": "€",
             "euros": "€", "£": "£", "gbp": "£", "¥": "¥", "yen": "¥", "jpy": "¥"}
_CENTS = ("cent", "cents")


def _unit(words: str) -> tuple[str, object] | None:
    """(normal unit, factor) for a unit or currency; words that name no known unit are kept as
    they are (12 apples), singular; None for text that is not a unit at all."""
    w = re.sub(r"\s+", " ", words.strip().lower().rstrip("."))
    if not w:
        return "", None
    if w in _CURRENCY:
        return _CURRENCY[w], None
    if w in _CENTS:
        return "$", Fraction(1, 100)
    if w in _UNITS:
        return _UNITS[w][0], None
    if re.fullmatch(r"[a-z][a-z /²³-]{0,30}", w):
        return (w[:-1] if w.endswith("s") and not w.endswith("ss") else w), None
    return None


def _dimension(unit: str):
    for name, dim, factor in _UNITS.values():
        if name == unit:
            return dim, factor
    return None, None


# ----------------------------------------------------------------------------- parsing

_NUM = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-−]?\.\d+"
_NUMBER = re.compile(rf"^(?P<cur>[$€£¥])?\s*(?P<num>[-−]?\d+(?:\s+\d+)?\s*/\s*\d+|(?:{_NUM}))\s*"
                     rf"(?P<pct>%|percent\b)?\s*(?P<unit>.*)$", re.IGNORECASE)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"), "ymd"),
    (re.compile(rf"^(?:[a-z]+,?\s+)?({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$", re.I), "mdy"),
    (re.compile(rf"^(?:[a-z]+,?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+(\d{{4}})$", re.I), "dmy"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "us"),
]
_WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_ARTICLES = {"a", "an", "the"}
_BOOLEANS = {"true": "yes", "false": "no"}


def _clean(text: str) -> str:
    text = str(text).strip().strip("`*\"' ").strip()
    text = re.sub(r"^\\boxed\{(.*)\}$", r"\1", text)
    text = re.sub(r"^[a-z]\s*=\s*", "", text, flags=re.I)  # x = 4
    return text.rstrip(".").strip()


def _date(text: str) -> dt.date | None:
    for pattern, order in _DATES:
        m = pattern.match(text)
        if not m:
            continue
        a, b, c = m.groups()
        try:
            if order == "ymd":
                return dt.date(int(a), int(b), int(c))
            if order == "mdy":
                return dt.date(int(c), _MONTHS[a.lower().rstrip(".")], int(b))
            if order == "dmy":
                return dt.date(int(c), _MONTHS[b.lower().rstrip(".")], int(a))
            return dt.date(int(c), int(a), int(b))
        except ValueError:
            return None
    return None


def _number(text: str) -> Answer | None:
    m = _NUMBER.match(text)
    if not m:
        return None
    num = m["num"].replace("−", "-").replace(",", "")
    unit = _unit(m["unit"] or "")
    if unit is None:
        return None
    name, factor = unit
    if m["cur"]:
        if name and name not in _CURRENCY.values():
            return None
        name = _CURRENCY[m["cur"]]
    decimals = None
    try:
        if "/" in num:
            whole, _, frac = num.strip().rpartition(" ")
            value = Fraction(frac.replace(" ", ""))
            if whole:
                value = int(whole) + (value if not whole.startswith("-") else -value)
        elif "e" in num.lower():
            value = float(num)
        else:
            value = Fraction(num)
            if "." in num:
                decimals = len(num.split(".")[1])
    except (ValueError, ZeroDivisionError):
        return None
    if factor is not None:
        value = value * factor
        decimals = None
    return Answer("number", value, name, bool(m["pct"]), decimals)


def parse_answer(text) -> Answer | None:
    """The answer a text states exactly (a gold answer); None when it states none.

    Text with digits must be a number (with unit, currency or %), a fraction, a date or a list of
    numbers; text without digits is a word answer."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        text = repr(text)
    text = _clean(text)
    if not text:
        return None
    if not re.search(r"\d", text):
        words = _words(text)
        if not words:
            return None
        if len(words.split()) == 1 and words in _WORD_NUMBERS:
            return Answer("number", Fraction(_WORD_NUMBERS[words]))
        return Answer("text", _BOOLEANS.get(words, words))
    day = _date(text)
    if day is not None:
        return Answer("date", day)
    number = _number(text)
    if number is not None:
        return number
    parts = [p for p in re.split(r"\s*;\s*|,\s+|\s+and\s+", text) if p]
    if len(parts) > 1:
        items = [_number(p) for p in parts]
        if all(items):
            return Answer("list", tuple(items))
    return None


def _words(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", str(text).lower())
    return " ".join(w for w in words if w not in _ARTICLES)


_FIND_DATE = re.compile(rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}|(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
                        rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_RE})\.?,?\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}",
                        re.I)
_FIND_NUMBER = re.compile(rf"[$€£¥]?\s*(?:{_NUM}|[-−]?\d+/\d+)\s*(?:%|percent\b)?(?:\s*[a-z°/]+(?:\s+per\s+[a-z]+)?)?",
                          re.I)


_SEVERAL = re.compile(r"^[(\[][^()\[\]]*,[^()\[\]]*[)\]]$")  # "(a, b)", "[a, b, c]": a printed tuple or list


def parse_prediction(text) -> Answer | None:
    """The answer a model's output states: exact when it can be read whole, otherwise the last date
    or number (with its unit) in it, or its words."""
    if text is None:
        return None
    exact = parse_answer(text)
    if exact is not None:
        return exact
    if _SEVERAL.match(str(text).strip()):
        # a tuple or list of values ("(-4.0, 4.0)" for "what is x?"): which one answers is the tool's
        # to say, not the last number's; the 1.5B's linear-system tool printed (x, y) with x wrong
        items = [_number(p) for p in re.split(r"\s*,\s*", str(text).strip()[1:-1]) if p]
        return Answer("list", tuple(items)) if items and all(items) else None
    text = _clean(str(text))
    for sep in ("=", ":", " is "):
        if sep in text:
            tail = parse_answer(text.rsplit(sep, 1)[1])
            if tail is not None:
                return tail
    dates = _FIND_DATE.findall(text)
    day = _date(dates[-1].strip()) if dates else None
    if day is not None:
        return Answer("date", day)
    numbers = _FIND_NUMBER.findall(text)
    for candidate in reversed(numbers):
        found = _number(candidate.strip()) or _number(re.split(r"\s+", candidate.strip())[0])
        if found is not None:
            return found
    return None


# ----------------------------------------------------------------------------- equivalence

def _close(p, g, decimals: int | None, rel_tol: float) -> bool:
    if isinstance(p, Fraction) and isinstance(g, Fraction) and p == g:
        return True
    p, g = float(p), float(g)
    if abs(p - g) <= max(1e-9, rel_tol * abs(g)):
        return True
    return decimals is not None and decimals >= 1 and abs(p - g) <= 0.5 * 10 ** -decimals * (1 + 1e-9)


def _numbers_equal(p: Answer, g: Answer, rel_tol: float, places: int | None = None) -> bool:
    pv, gv = p.value, g.value
    if p.unit and g.unit and p.unit != g.unit:
        pdim, pf = _dimension(p.unit)
        gdim, gf = _dimension(g.unit)
        if pdim is None or pdim != gdim or pf is None or gf is None:
            return False
        pv = Fraction(pv) * pf / gf if isinstance(pv, Fraction) else pv * float(pf) / float(gf)
    candidates = [pv]
    if g.percent and not p.percent:
        candidates.append(pv * 100)
    if p.percent and not g.percent:
        candidates.append(pv / 100)
    if places is not None:  # the question asked for rounding: the answer must be rounded so, and right
        return any(_rounded(c, places) and _close(c, _round(gv, places), places, rel_tol) for c in candidates)
    return any(_close(c, gv, g.decimals, rel_tol) for c in candidates)


def _exact(value) -> Fraction:
    """A float as the decimal it prints as (200.70000000000002 stays noisy), a Fraction as it is."""
    return value if isinstance(value, Fraction) else Fraction(repr(float(value)))


def _rounded(value, places: int) -> bool:
    """Is the value written with at most `places` decimals?"""
    return (_exact(value) * 10 ** places).denominator == 1


def _round(value, places: int) -> Fraction:
    """Rounded half up (as people and the gold answers round; Python's round() is half-even)."""
    scaled = _exact(value) * 10 ** places
    whole = math.floor(abs(scaled) + Fraction(1, 2))
    return Fraction(whole if scaled >= 0 else -whole, 10 ** places)


# ----------------------------------------------------------------------------- the requested form

_PLACES = {"one": 1, "two": 2, "three": 3, "four": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ROUNDING = [
    (re.compile(r"\bnearest (?:cent|penny|hundredth)\b", re.I), 2),
    (re.compile(r"\bnearest (?:whole number|whole|integer|dollar|unit)\b|\bto a whole number\b", re.I), 0),
    (re.compile(r"\bnearest tenth\b", re.I), 1),
    (re.compile(r"\bnearest thousandth\b", re.I), 3),
]
_DECIMAL_PLACES = re.compile(r"\b(one|two|three|four|[1-4]) decimal (?:places?|digits?)\b", re.I)
_IF_NEEDED = re.compile(r"decimal places? if needed|if necessary", re.I)


def requested_decimals(question: str) -> int | None:
    """The decimals the question asks the answer to be rounded to, or None when it asks none."""
    text = str(question or "")
    m = _DECIMAL_PLACES.search(text)
    if m:
        return _PLACES[m.group(1).lower()]
    for pattern, places in _ROUNDING:
        if pattern.search(text):
            return places
    return None


_MONEY_QUESTION = re.compile(r"\bhow much (?:money|does|do|did|would|will|is|are|was|must|should|can)\b(?!.*\bhow many\b)|"
                             r"\bin dollars\b|\bnearest cent\b|\b(?:sale |total |final |unit )?(?:price|cost)\b[^.?]*\?$|"
                             r"\bhow much\b[^.?]*\b(?:cost|pay|earn|make|spend|save|owe|left)\b", re.I)
_PERCENT_QUESTION = re.compile(r"\b(?:what|which) percent(?:age)?\b|\bas a percent(?:age)?\b|\bin percent\b", re.I)
_CURRENCY_MARK = re.compile(r"[$€£¥]|\b(?:dollars?|euros?|pounds sterling|cents?)\b", re.I)
_UNIT_WORDS = sorted((w for w in _UNITS if len(w) > 2 and not w.startswith("°")), key=len, reverse=True)
_ASKED_UNIT = re.compile(r"\b(?:how many (?:whole |full |more |fewer )?|(?:speed|distance|weight|temperature|mass|"
                         r"volume|length|time|answer|it|that|result) in |\bin )"
                         rf"({'|'.join(re.escape(w) for w in _UNIT_WORDS)})\b", re.I)


def requested_unit(question: str) -> str:
    """The unit a question asks the answer in ("how many miles", "in degrees Celsius"), as the
    question spells it; "" when it names none (counts of things, money, plain numbers)."""
    found = _ASKED_UNIT.findall(str(question or ""))
    return found[-1] if found else ""


def requested_currency(question: str) -> str:
    """The currency symbol when the question asks for an amount of money, else ""."""
    text = str(question or "")
    if not _MONEY_QUESTION.search(text):
        return ""
    mark = _CURRENCY_MARK.search(text)
    if not mark:
        return ""
    word = mark.group(0).lower()
    return _CURRENCY.get(word) or ("$" if word.startswith(("dollar", "cent")) else _CURRENCY.get(word.rstrip("s"), ""))


def _format(value, places: int | None, money: bool, if_needed: bool) -> str:
    exact = _exact(value)
    if places is None:
        if money:
            places = 0 if exact.denominator == 1 else 2
        elif exact.denominator == 1:
            places = 0
        else:  # no rounding asked: say the value, not the float noise of computing it
            text = f"{float(exact):.10g}"
            return text if "e" not in text else repr(float(exact))
    exact = _round(exact, places)
    if if_needed and exact.denominator == 1:
        places = 0
    sign = "-" if exact < 0 else ""
    whole, frac = divmod(abs(exact) * 10 ** places, 10 ** places)
    text = str(int(whole)) + (f".{int(frac):0{places}d}" if places else "")
    return sign + text


def state(printed, question: str = "") -> str:
    """A program's printed answer said as a person answers `question`: rounded as asked, money
    with its symbol, the unit asked for; text, dates and unreadable output are returned as printed."""
    raw = str(printed if printed is not None else "").strip()
    said = parse_answer(raw)
    if said is None:  # a sentence ("The total is 665.0 dollars"): the number it ends on
        found = parse_prediction(raw)
        said = found if found is not None and found.kind == "number" else None
    if said is None or said.kind != "number" or said.percent:
        if said is not None and said.kind == "number" and said.percent:
            places = requested_decimals(question)
            return _format(said.value, places, False, bool(_IF_NEEDED.search(question or ""))) + "%"
        return raw
    places = requested_decimals(question)
    if_needed = bool(_IF_NEEDED.search(question or ""))
    currency = said.unit if said.unit in _CURRENCY.values() else ""
    if said.unit and not currency:  # the program named its own unit: keep it
        return f"{_format(said.value, places, False, if_needed)} {raw_unit(raw) or requested_unit(question) or said.unit}".strip()
    currency = currency or requested_currency(question)
    if not currency and _PERCENT_QUESTION.search(question or ""):  # "by what percent": the value is the percent
        return _format(said.value, places, False, if_needed) + "%"
    number = _format(said.value, places, bool(currency), if_needed)
    if currency:
        return f"-{currency}{number[1:]}" if number.startswith("-") else f"{currency}{number}"
    unit = requested_unit(question)
    return f"{number} {unit}" if unit else number


def rounds_to(value, answer) -> bool:
    """Is the number `answer` states the number `value` states, rounded to the answer's own
    decimals (a whole number: to the unit)? For a stated answer and the tool result it came from."""
    a, v = parse_answer(answer), parse_prediction(value)
    if a is None or v is None or a.kind != "number" or v.kind != "number":
        return False
    if a.unit and v.unit and a.unit != v.unit:
        return False
    places = a.decimals if a.decimals is not None else (0 if _exact(a.value).denominator == 1 else None)
    if places is None:
        return False
    candidates = [v.value] + ([v.value * 100] if a.percent and not v.percent else [])
    return any(_round(c, places) == _exact(a.value) for c in candidates)


def raw_unit(text: str) -> str:
    """The unit words after the number in a printed answer, as written."""
    m = _NUMBER.match(_clean(text))
    return (m["unit"] or "").strip() if m else ""


def equivalent(prediction, gold, rel_tol: float = REL_TOL, question: str = "") -> bool:
    """Does the model's answer (text) state the gold answer (text)? With the question, a number
    must also be rounded as the question asks (`requested_decimals`)."""
    g = parse_answer(gold)
    if g is None:
        raise ValueError(f"unparsable gold answer {gold!r}")
    if g.kind == "text":
        said = _words(_clean(str(prediction or "")))
        said = _BOOLEANS.get(said, said)
        return said == g.value or (len(said.split()) <= 4 and f" {g.value} " in f" {said} ")
    p = parse_prediction(prediction)
    if p is None or p.kind != g.kind:
        return False
    places = requested_decimals(question)
    if g.kind == "date":
        return p.value == g.value
    if g.kind == "list":
        if len(p.value) != len(g.value):
            return False
        ps = sorted(p.value, key=lambda a: float(a.value))
        gs = sorted(g.value, key=lambda a: float(a.value))
        return all(_numbers_equal(a, b, rel_tol, places) for a, b in zip(ps, gs))
    return _numbers_equal(p, g, rel_tol, places)


_FINAL = re.compile(r"final\s*answer\s*(?:is)?\s*[:=]?\s*(.*)$", re.IGNORECASE)


def final_answer(stdout: str) -> str | None:
    """What the last `Final Answer: …` line of a program's output says; None when there is none."""
    lines = (stdout or "").splitlines()
    for i in range(len(lines) - 1, -1, -1):
        m = _FINAL.search(lines[i])
        if m:
            said = m.group(1).strip()
            if not said and i + 1 < len(lines):
                said = lines[i + 1].strip()
            return said or None
    return None
