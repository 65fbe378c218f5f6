"""Does the call serve the whole request? Checks for a capable model's mistakes (issue 21): the rows
they reject read well and are wrong.

    direction_ignored     "10 days before 2023-04-10" called with days=10 (a later date)
    request_half_served   "Convert 100 cm to meters, and 20 g to kilograms" served by one call for the cm
    unit_kind_mismatch    "15 miles per hour … kilometers per second" converted mi → km (a length)
    argument_filler       "append a note with the text I just wrote" written as text="just wrote"

Plain functions over a request, a call and an answer, built on grounding's readers of what a text
states (numbers, quantities, dates); checks.py wraps each into a check with its reason code.
"""

from __future__ import annotations

import re

from builders.methods.grounding import (BACKWARD, EXPRESSION_NAME, QUANTITY, leaves, numbers, proper_name,
                                        schema_leaves, signed, stated_dates, week_days, without_dates)

# --- direction ------------------------------------------------------------------------------------

# Words that ask for a later date or a larger number (grounding.BACKWARD: the opposite).
FORWARD = re.compile(r"\b(after|later|from now|from today|ahead|hence|plus|add|added|increase\w*)\b", re.I)
# which of them concern a date offset (a signed parameter), which arithmetic (an expression)
TEMPORAL = {"before", "ago", "earlier", "prior to", "back from", "go back", "going back"}


def _signed_numbers(arguments: dict, parameters: dict) -> list[float]:
    """The call's numbers whose parameter admits a negative value (a day offset, a rate)."""
    return [float(v) for _, v, schema in schema_leaves(arguments, parameters)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v and signed(schema)]


def _expressions(arguments: dict, parameters: dict) -> list[str]:
    return [str(v) for path, v, _ in schema_leaves(arguments, parameters)
            if isinstance(v, str) and EXPRESSION_NAME.search(path)]


def ignores_direction(request: str, arguments: dict, parameters: dict) -> bool:
    """The request asks for an earlier date or a smaller number and the call goes the other way: a
    day offset given as +10 for "10 days before", an expression with no minus for "50 less 20"; or
    the request asks for a later date and the offset is negative. Calls with neither a signed
    number nor an expression are not judged here."""
    back = {m.group(1).lower() for m in BACKWARD.finditer(request)}
    forward = {m.group(1).lower() for m in FORWARD.finditer(request)}
    signed = _signed_numbers(arguments, parameters)
    if signed:
        if back & TEMPORAL and not forward and all(v > 0 for v in signed):
            return True
        return bool(forward & {"after", "later", "from now", "from today", "ahead", "hence"}) and not back \
            and all(v < 0 for v in signed)
    arithmetic = back - TEMPORAL
    return bool(arithmetic) and any("-" not in e for e in _expressions(arguments, parameters))


def answer_reverses(request: str, answer: str) -> bool:
    """The answer says the opposite direction of the request ("10 days after" for "10 days before")."""
    asked_back = {m.group(1).lower() for m in BACKWARD.finditer(request)} & TEMPORAL
    said_back = {m.group(1).lower() for m in BACKWARD.finditer(answer)} & TEMPORAL
    said_forward = {m.group(1).lower() for m in FORWARD.finditer(answer)} & {"after", "later", "from now", "ahead"}
    return bool(asked_back) and bool(said_forward) and not said_back




# parameters that take the two ends of "from X to Y", in that order
ORDERED = (("old", "new"), ("start", "end"), ("from", "to"))
FROM_TO = re.compile(r"\bfrom\s+\$?(\d[\d,]*(?:\.\d+)?)\b.{0,20}?\bto\s+\$?(\d[\d,]*(?:\.\d+)?)\b", re.I)


def order_reversed(request: str, arguments: dict) -> bool:
    """The request says "from X to Y" and the call takes Y as its start and X as its end: "the
    percentage change from 0 to 100" called as old=100, new=0."""
    ends = [(_argument(arguments, first), _argument(arguments, second)) for first, second in ORDERED]
    ends = [(a, b) for a, b in ends if isinstance(a, (int, float)) and isinstance(b, (int, float))]
    for m in FROM_TO.finditer(request):
        x, y = (float(g.replace(",", "")) for g in m.groups())
        if x != y and (y, x) in ends:
            return True
    return False


def _argument(arguments: dict, name: str):
    """The argument called `name` or `name_…` ("start_date" for start), or None."""
    return next((v for k, v in arguments.items() if k == name or k.startswith(name + "_")), None)


# --- the whole request ------------------------------------------------------------------------------

def _used(calls: list[dict]) -> tuple[list[tuple[float, int]], str]:
    """What the calls use: their numbers (also those inside strings: an expression's, a date's) and
    their text, lower-cased."""
    texts = [str(v) for args in calls for v in _values(args)]
    return numbers(" ".join(texts)), " ".join(texts).lower()


def _equal(stated: float, used: float) -> bool:
    """A stated quantity is used as it is, or as a share ('5 %' as 0.05)."""
    return any(abs(stated - u) <= 1e-9 * max(1.0, abs(u)) for u in (used, used * 100, used / 100))


def _values(value):
    """The scalars of a call's arguments that can state something (no booleans, no nulls)."""
    return (v for v in leaves(value) if not isinstance(v, bool) and v is not None)


SENTENCE_START = re.compile(r"(?:^|[.?!]\s+)([A-Z][a-z]+)")
NOT_NAMES = {"what", "how", "which", "when", "where", "who", "please", "convert", "calculate", "find", "tell", "i",
             "is", "are", "can", "could", "give", "show", "the", "and", "monday", "tuesday", "wednesday", "thursday",
             "friday", "saturday", "sunday", "celsius", "fahrenheit", "kelvin"}


def _measured_quantities(request: str) -> list[tuple[float, str]]:
    """The request's quantities with their measures, one per value and measure: '$100' and '100
    days' are two, while 'between 20 and 15 … between 20 and 15' (one pair said twice) is 20 and 15
    once each. An ordinal span ('the 20th day before …') has the measure 'ordinal'."""
    found = []
    text = without_dates(request)
    for m in QUANTITY.finditer(text):
        unit = re.match(rf"\s*({UNIT}|%|percent)\b", text[m.end():], re.I)
        measure = "$" if text[:m.start()].rstrip().endswith(("$", "€", "£")) else unit.group(1).lower() if unit else ""
        found += [(v, measure) for v, _ in numbers(m.group(0))]
    # "the 20th day before 2022-11-25" is 20 days
    found += [(float(m.group(1)), "ordinal") for m in ORDINAL_SPAN.finditer(text)]
    return list(dict.fromkeys(found))  # each (value, measure) once, in the order said


ORDINAL_SPAN = re.compile(r"\b(\d+)(?:st|nd|rd|th)\s+(?:day|week|month|year)s?\b", re.I)


def unserved(request: str, calls: list[dict], parameters: dict, documentation: str = "") -> list[str]:
    """The quantities, dates and names the request states that no call uses: the rest of a
    multi-part request ("…, and 20 g to kilograms") that one call left out. Names count when the
    tool takes a proper name (a city): then every capitalised word of the request that is not the
    start of a sentence, nor a word of the tool's `documentation` ("the Great Circle Distance"), is
    a name the call should use."""
    used_numbers, used_text = _used(calls)
    weeks = {d / 7 for d in week_days(request)}  # '3 weeks' is used as 21 days
    unused, missing = [k for k, _ in used_numbers], []
    offsets = [abs(float(v)) for args in calls for v in _values(args) if isinstance(v, (int, float))]
    for v, measure in _measured_quantities(request):  # "$100 … over a 100 days period" needs two uses of 100
        if measure == "ordinal":  # a span of days is an offset, not the day of a date: "the 15th day after … 2022-11-15"
            if not any(_equal(v, k) or _equal(7 * v, k) for k in offsets):
                missing.append(f"{v:g}")
            continue
        match = next((i for i, k in enumerate(unused) if _equal(v, k) or v in weeks and _equal(7 * v, k)), None)
        if match is None:
            missing.append(f"{v:g}")
        else:
            del unused[match]
    missing += [d for d in stated_dates(request) if d not in used_text]
    props = parameters.get("properties", {})
    if any(proper_name(s) for s in props.values() if isinstance(s, dict)):
        starts = {m.start(1) for m in SENTENCE_START.finditer(request)}
        documented = set(re.findall(r"\w+", documentation.lower()))
        for m in re.finditer(r"\b[A-Z][a-z]{2,}\b", request):
            word = m.group(0)
            if m.start() not in starts and word.lower() not in NOT_NAMES and word.lower() not in used_text \
                    and word.lower() not in documented \
                    and not re.match(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", word.lower()):
                missing.append(word)
    return missing




# --- unit kinds ------------------------------------------------------------------------------------

KINDS = {  # convert_units' choices (and city_distance's) by what they measure
    "length": "m km cm mm mi yd ft in nmi", "mass": "kg g mg t lb oz", "volume": "l ml m3 gal qt cup",
    "time": "s min h day week", "speed": "m/s km/h mph kn", "temperature": "C F K"}
KIND_OF = {u: kind for kind, units in KINDS.items() for u in units.split()}
# words a person writes for them (stems); abbreviations count only after a number ("20 g")
UNIT_WORDS = {
    "length": r"met(?:er|re)s?|kilomet\w*|centimet\w*|millimet\w*|miles?|yards?|f(?:oo|ee)t|inch\w*",
    "mass": r"grams?|kilograms?|milligrams?|tonnes?|tons?|pounds?|ounces?",
    "volume": r"lit(?:er|re)s?|millilit\w*|gallons?|quarts?|cups?",
    "time": r"seconds?|minutes?|hours?|days?|weeks?",
    "temperature": r"celsius|fahrenheit|kelvin",
    "speed": r"knots?|mph|km/h|kph|m/s"}
ABBREVIATIONS = {"length": "km|cm|mm|ft|yd|m|mi", "mass": "kg|mg|g|lb|lbs|oz", "volume": "ml|l|gal|qt",
                 "time": "s|sec|min|h|hr|hrs", "temperature": "°?C|°?F"}
UNIT = "|".join(UNIT_WORDS.values())
SPEED = re.compile(rf"\b(?:{UNIT_WORDS['length']}|km|mi|m)\s*(?:per|an|a|each|every|/)\s*"
                   rf"(?:{UNIT_WORDS['time']}|hr|h|s|sec|min)\b", re.I)


def unit_kinds(request: str) -> set[str]:
    """What the units the request names measure: 'miles per hour' and 'kilometers per second' a
    speed (not a length and a time), '20 g' a mass, 'meters' a length."""
    kinds = {"speed"} if SPEED.search(request) else set()
    rest = SPEED.sub(" ", request)
    for kind, pattern in UNIT_WORDS.items():
        if re.search(rf"\b(?:{pattern})\b", rest, re.I):
            kinds.add(kind)
    for kind, pattern in ABBREVIATIONS.items():
        if re.search(rf"\d\s*(?:{pattern})\b", rest):
            kinds.add(kind)
    return kinds


def call_kinds(arguments: dict) -> set[str]:
    return {KIND_OF[v] for v in _values(arguments) if isinstance(v, str) and v in KIND_OF}


def mismatched_units(request: str, arguments: dict) -> set[str]:
    """The kinds of unit the request names that the call's units do not measure, when the call
    takes units at all (a date's 'days' are not a unit to convert)."""
    called = call_kinds(arguments)
    return unit_kinds(request) - called if called else set()




# --- filler words as values -------------------------------------------------------------------------

FILLER = set("i me my mine you your we our it its this that these those the a an some any text note notes just "
             "wrote write written writing said say says mentioned above earlier previous previously before last "
             "same one something thing stuff here there please what which content contents message words typed "
             "gave given provided following and or of to with in on for as is was be".split())


def filler_values(arguments: dict, parameters: dict) -> list[str]:
    """Free-text values made only of the request's filler words ('just wrote', 'the text I'): the
    request referred to content ("the text I just wrote") and the call copied the reference."""
    bad = []
    for path, value, schema in schema_leaves(arguments, parameters):
        if not isinstance(value, str) or "enum" in schema or schema.get("format") or re.search(r"[0-9/._@-]", value):
            continue
        words = [w.lower() for w in re.findall(r"[A-Za-z']+", value)]
        if words and all(w in FILLER for w in words):
            bad.append(f"{path}={value}")
    return bad
