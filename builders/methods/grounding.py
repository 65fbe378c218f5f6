"""Grammars that admit only values already stated: a call's arguments copied from the user's words, an
answer whose numbers come from the results and the request and that states a value of the result.

A 135M model fills an argument with whatever number or name it likes (`"principal": 2` for a query that
says nothing of money) and answers with numbers found nowhere. The checks reject those rows; here the
grammar stops them being written: a number or integer argument is one of the numbers of the request
(within the parameter's bounds), a date one of its dates, a free string one of its phrases, an enum one
of the choices the request names, an arithmetic expression is made of the request's numbers. Optional
parameters that nothing in the request supports are left out of the grammar (the tool's default
applies). Where the request offers no candidate, the parameter keeps its own schema, and the checks
judge what the model wrote. The tool's own JSON Schema still validates every call before it runs.
"""

from __future__ import annotations

import json
import re

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                           "twelve".split())} | {"dozen": 12, "hundred": 100, "thousand": 1000,
                                                                 "million": 1000000, "half": 0.5, "twice": 2}


# --- what a text states: numbers, choices (shared with STE's checks) -----------------------------------

def numbers(text: str) -> list[tuple[float, int]]:
    """Unsigned numbers in text with their count of decimals ('1,234.50' → (1234.5, 2)). A date's
    parts are numbers too: '2024-03-06' gives 2024, 3 and 6."""
    found = []
    for token in _NUMBER.findall(text):
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", token):
            plain = token.replace(",", "")
        elif token.count(",") == 1 and "." not in token:
            plain = token.replace(",", ".")
        else:
            plain = token.split(",")[0]
        try:
            value = float(plain)
        except ValueError:
            continue
        found.append((value, len(plain.split(".")[1]) if "." in plain else 0))
    words = {w.lower() for w in _WORD.findall(text)}
    found += [(float(v), 0) for w, v in NUMBER_WORDS.items() if w in words]
    return found


WEEKS = re.compile(r"(?<![\d.,])\b(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")(\s+|-)weeks?\b", re.I)


def week_days(text: str) -> list[float]:
    """The days of each count of weeks a request states: '3 weeks before' is a day offset of 21 (date
    tools count days). Only what a request states: an answer's '4.3 weeks' says no 30.1."""
    counts = [float(n) if n[0].isdigit() else float(NUMBER_WORDS[n.lower()]) for n, _ in WEEKS.findall(text)]
    return [7 * n for n in counts if n]


# Abbreviations whose word does not begin with them: "metres" is `m`, "feet" `ft`, "pounds" `lb`.
SPELLED_UNITS = {"m": ("met",), "g": ("gram",), "s": ("sec",), "c": ("cels",), "f": ("fahr",), "k": ("kelv",),
                 "l": ("lit",), "h": ("hour",), "t": ("tonne",), "ft": ("foot", "feet"), "lb": ("pound",),
                 "oz": ("ounce",), "yd": ("yard",), "qt": ("quart",), "kn": ("knot",), "gal": ("gallon",),
                 "kg": ("kilogram",), "km": ("kilomet",), "cm": ("centimet",), "mm": ("millimet",),
                 "mg": ("milligram",), "ml": ("millilit",)}
# Abbreviations that are also English words or begin common ones: 'in' is a preposition ("the
# difference in altitude"), 'mi' begins "million" and "minute", 'min' "minimum": only the word counts.
WORD_UNITS = {"in": "inch", "mi": "mile", "min": "minut"}


# Speeds, which a person writes as two words joined by 'per' ('miles per hour' for `mph`).
COMPOUND_UNITS = {"mph": ("mile", "hour"), "km/h": ("kilomet", "hour"), "m/s": ("met", "sec"),
                  "kn": ("knot", "knot")}


def stated_words(text: str) -> set[str]:
    """The lower-cased words of `text` a choice may come from: its words, its letter runs ('km' of
    '42km') and its slashed abbreviations ('km/h')."""
    low = text.lower()
    return {w.lower() for w in _WORD.findall(text)} | set(re.findall(r"[a-z]+", low)) | \
        set(re.findall(r"\b[a-z]+/[a-z]+\b", low))


def choice_stated(value: str, words: set[str]) -> bool:
    """An enum choice follows from the query when the user wrote it or a word it abbreviates
    ('km', 'mi' for 'miles', 'c' for 'Celsius', 'mph' for 'miles per hour')."""
    v = value.lower()
    if v in COMPOUND_UNITS:
        first, second = COMPOUND_UNITS[v]
        return v in words or v == "kn" and any(w.startswith("knot") for w in words) or "per" in words and \
            any(w.startswith(first) for w in words) and any(w.startswith(second) for w in words)
    if v in WORD_UNITS:
        return any(w.startswith(WORD_UNITS[v]) for w in words)
    if v in words or any(w.startswith(SPELLED_UNITS.get(v, ())) for w in words):
        return True
    if len(v) == 1:
        return False
    return any(w.startswith(v) or v.startswith(w) and len(w) > 3 for w in words)


MAX_PHRASE_WORDS = 6
MAX_CHOICES = 160
MAX_KEY_VALUES = 12
EXPRESSION_NAME = re.compile(r"expression|formula", re.I)  # a parameter that takes an arithmetic expression
_DATE_NAME = re.compile(r"date|start|end|day", re.I)
# Function names an expression may use; the user says them in words ("the square root of 81").
FUNCTIONS = ("sqrt", "log", "exp", "sin", "cos", "tan", "abs", "round", "factorial")
# characters an answer may not hold: no JSON, code, identifiers, markup — and no digits, which come
# only in the stated numbers
_PLAIN = r'[^0-9{}\[\]<>_=|\\"`\n]'


# --- what the request states ------------------------------------------------------------------------


def plain_number(value: float):
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def stated_numbers(text: str) -> list:
    """The numbers of `text`, as JSON values, in order, without repeats ('1,500' → 1500)."""
    out = []
    for value, _ in numbers(text):
        v = plain_number(value)
        if v not in out:
            out.append(v)
    return out


_NAMES = "|".join(MONTHS)
_MONTH_DAY_YEAR = re.compile(rf"\b({_NAMES})[a-z]*\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b", re.I)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({_NAMES})[a-z]*\.?,? (\d{{4}})\b", re.I)
_ISO_IN_TEXT = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")


def stated_dates(text: str) -> list[str]:
    """ISO dates of `text`, and dates written with a month's name ('March 5, 2024', '5 March 2024')."""
    out = _ISO_IN_TEXT.findall(text)
    for m in _MONTH_DAY_YEAR.finditer(text):
        out.append(f"{m.group(3)}-{MONTHS.index(m.group(1).lower()[:3]) + 1:02d}-{int(m.group(2)):02d}")
    for m in _DAY_MONTH_YEAR.finditer(text):
        out.append(f"{m.group(3)}-{MONTHS.index(m.group(2).lower()[:3]) + 1:02d}-{int(m.group(1)):02d}")
    return list(dict.fromkeys(d for d in out if _ISO_DATE.match(d) and 1 <= int(d[5:7]) <= 12))


def without_dates(text: str) -> str:
    """`text` with its dates and clock times blanked out, so their parts are not read as quantities."""
    for pattern in (_ISO_IN_TEXT, _MONTH_DAY_YEAR, _DAY_MONTH_YEAR, _CLOCK):
        text = pattern.sub(" ", text)
    return text


# A number a request states as a quantity: written in digits, not part of a unit's or function's name
# ('m3', 'log10', 'sha256'); read it in `without_dates(text)` so a date's or clock time's parts are not one.
QUANTITY = re.compile(r"(?<![A-Za-z0-9.,])\d+(?:[.,]\d+)*(?![A-Za-z0-9])")


EDGE_WORDS = set("a an the of in on to from for and or by with at as is are was be me my i you your it this "
                 "that how what which when where who much many far can could please find calculate convert tell "
                 "show give does do between into than".split())


def phrases(text: str, longest: int = MAX_PHRASE_WORDS, names: bool = True) -> list[str]:
    """Runs of 1 to `longest` consecutive words of `text` (end punctuation stripped): what a string
    argument may copy. Runs never cross a sentence's end. For a name (`names`), a run neither starts
    nor ends with a function word ('Paris', 'New York', not 'from Tokyo in')."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.?!])\s+", text.strip()):
        words = [w.strip(".,;:?!'\"()") for w in sentence.split()]
        words = [w for w in words if w]
        for n in range(1, longest + 1):
            for i in range(len(words) - n + 1):
                run = words[i:i + n]
                p = " ".join(run)
                if names and (run[0].lower() in EDGE_WORDS or run[-1].lower() in EDGE_WORDS):
                    continue
                if p not in out:
                    out.append(p)
    return out[:MAX_CHOICES]


# --- arguments ---------------------------------------------------------------------------------------

def _fits(value, schema: dict) -> bool:
    if schema.get("type") == "integer" and not isinstance(value, int):
        return False
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None and value < lo or hi is not None and value > hi:
        return False
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        return False
    return not ("exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"])


def literal(text: str) -> str:
    """`text` as a regex literal llama.cpp's converter reads: a metacharacter goes in a class ('[.]'),
    as its grammar knows no escape for it."""
    return "".join(f"[{c}]" if c in ".+*()?$^" else c for c in text)


def alternatives(values: list) -> str:
    """One of `values` (longest first, so '12.5' is not read as '12' then '.5')."""
    texts = [v if isinstance(v, str) else json.dumps(v) for v in values]
    return "|".join(literal(t) for t in sorted(dict.fromkeys(texts), key=len, reverse=True))


def expression_pattern(values: list) -> str:
    """Arithmetic over the request's numbers: `N (op N)*`, a term possibly wrapped in a function."""
    n = f"({alternatives(values)})"
    term = f"(({'|'.join(FUNCTIONS)})[(]{n}[)]|{n})"
    return f"^{term}( ([+]|-|[*]|/|[*][*]) {term}){{0,3}}$"


# Words that ask for an earlier date or a smaller number, so a stated amount may be a negative offset
# ("10 days before", "3 weeks ago"): grammars offer the negative; STE's and α-UMi's checks read them.
BACKWARD = re.compile(r"\b(before|ago|earlier|prior to|back from|go(?:ing)? back|minus|subtract\w*|less|fewer|"
                      r"decrease\w*|reduce\w*|take away|deduct\w*)\b", re.I)


def signed(schema: dict) -> bool:
    """The parameter admits a negative number (a day offset, a rate)."""
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    return lo is not None and lo < 0


def _is_date(name: str, schema: dict) -> bool:
    return schema.get("format") == "date" or "YYYY-MM-DD" in schema.get("description", "") or (
        schema.get("type") == "string" and _DATE_NAME.search(name) and "date" in json.dumps(schema).lower())


def proper_name(schema: dict) -> bool:
    """The parameter takes a proper name: its documented example is a capitalised word ('e.g. "Lyon"')."""
    example = re.search(r"""e\.g\. ["']?([A-Za-z]+)""", schema.get("description", ""))
    return bool(example and example.group(1)[0].isupper() and not example.group(1).isupper())


def ground_value(name: str, schema: dict, text: str) -> dict | None:
    """`schema` narrowed to the values `text` states; None when nothing in `text` can fill it."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if "enum" in schema:
        words = stated_words(text)
        named = [c for c in schema["enum"] if isinstance(c, str) and choice_stated(c, words)
                 or not isinstance(c, str) and c in stated_numbers(text)]
        return {**schema, "enum": named} if named else None
    if kind in ("number", "integer"):
        values = [v for v in stated_numbers(text) + [plain_number(d) for d in week_days(text)] if _fits(v, schema)]
        if signed(schema) and BACKWARD.search(text):  # "10 days before": the offset may be -10
            values += [-v for v in values if v and _fits(-v, schema)]
        return {k: v for k, v in schema.items() if k not in ("type",)} | {"enum": values} if values else None
    if kind == "string" and "pattern" not in schema:
        if _is_date(name, schema):
            dates = stated_dates(text)
            return {**schema, "enum": dates} if dates else None
        if EXPRESSION_NAME.search(name):
            values = [v for v in stated_numbers(text) if v >= 0]
            return {"type": "string", "pattern": expression_pattern(values),
                    **{k: schema[k] for k in ("description",) if k in schema}} if values else None
        if schema.get("format"):
            return None
        lo, hi = schema.get("minLength", 1), schema.get("maxLength", 200)
        text_like = hi >= 1000  # a text to work on (text_stats' text), not a name
        found = [p for p in phrases(text, 12 if text_like else MAX_PHRASE_WORDS, names=not text_like)
                 if lo <= len(p) <= hi]
        if proper_name(schema):  # 'e.g. "Paris"': a name is capitalised, and not the request's first word
            first = text.split()[0] if text.split() else ""
            found = [p for p in found if all(w[:1].isupper() for w in p.split()) and p.split()[0] != first]
        return {**schema, "enum": found} if found else None
    if kind == "array" and isinstance(schema.get("items"), dict):
        items = ground_value(name, schema["items"], text)
        return {**schema, "items": items} if items else None
    if kind == "object" and isinstance(schema.get("properties"), dict):
        return ground_parameters(schema, text)
    return None


def asked_for(name: str, schema: dict, text: str, required: list[str], props: dict) -> bool:
    """Does `text` ask for optional parameter `name`? A choice it names, a word of the parameter's name
    ('45 days' for `days`), or a date beyond those the required parameters take. Otherwise a small
    model fills it with any number of the query (`contribution_per_period: 5`); the default is right.
    A count of weeks asks for `days` (its days are among the stated numbers)."""
    if "enum" in schema:
        return True  # ground_value kept only the choices the text names
    words = {w[:4] for w in re.findall(r"[a-z]{4,}", text.lower())}
    if any(part[:4] in words for part in name.lower().split("_") if len(part) >= 4):
        return True
    if "days" in name.lower().split("_") and WEEKS.search(text):  # '3 weeks before' asks for days: -21
        return True
    if _is_date(name, schema):
        return len(stated_dates(text)) > sum(_is_date(r, props.get(r, {})) for r in required)
    return False


def ground_parameters(parameters: dict, text: str) -> dict:
    """A tool's parameter schema whose every value must come from `text` where `text` offers one.
    Required parameters without a candidate keep their schema; optional ones are kept only when the
    text asks for them and offers a value."""
    props = parameters.get("properties") or {}
    required = list(parameters.get("required") or [])
    kept = {}
    for name, schema in props.items():
        narrowed = ground_value(name, schema, text)
        if name in required:
            kept[name] = schema if narrowed is None else narrowed
        elif narrowed is not None and asked_for(name, schema, text, required, props):
            kept[name] = narrowed
    return {**parameters, "properties": kept, "required": [r for r in required if r in kept],
            "additionalProperties": False}


# --- the answer ---------------------------------------------------------------------------------------

def leaves(value):
    """Every scalar inside a JSON value (a call's arguments, a result), in order."""
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v)
    else:
        yield value


def schema_leaves(value, schema: dict, path: str = ""):
    """(path, value, schema) of every scalar in an argument object, with the schema that governs it."""
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k, v in value.items():
            yield from schema_leaves(v, props.get(k, {}), f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from schema_leaves(v, schema.get("items", {}), f"{path}[{i}]")
    else:
        yield path, value, schema


def _fields(value, name: str = ""):
    """(field name, scalar) of every leaf of a JSON value; a list's items take the list's name."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _fields(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _fields(v, name)
    else:
        yield name, value


def same_number(claimed: tuple[float, int], source: tuple[float, int]) -> bool:
    """The claimed number is the source's, or the source rounded to the claimed number's decimals
    (3.11 for 3.106856; never 3.2 for 3)."""
    (x, dx), (y, _) = claimed, source
    return abs(x - y) <= 1e-9 * max(1.0, abs(y)) or round(y, dx) == x


# --- percentages -------------------------------------------------------------------------------------

PERCENT = re.compile(r"(-?\d[\d,]*(?:\.(\d+))?)\s*(?:%|percent\b)", re.I)
# a decrease said in words: "dropped by 20%" states a percent of -20
DECREASE = re.compile(r"\b(decreas|drop|fell|fall|declin|reduc|lower|down|less|shr[iu]nk|lost|loss)", re.I)


def percent_fields(observation: str) -> set[float]:
    """The values of a result's percentage fields (percent_change's `percent`, a rate in %)."""
    return {float(v) for name, v in _fields(result_value(observation))
            if "percent" in name.lower() and isinstance(v, (int, float)) and not isinstance(v, bool)}


def unstated_percents(text: str, percents: set[float], request: str) -> list[str]:
    """The percentages `text` states that are none of `percents` (the results' percentage fields,
    rounding allowed) nor the request's: "the percentage change from 50 to 100 is 50%" for a result
    of 100 %, 50 being the change. A decrease said in words ("fell by 20%") states -20."""
    known = set(percents) | {float(m.group(1).replace(",", "")) for m in PERCENT.finditer(request)}
    if DECREASE.search(text):
        known |= {-k for k in percents if k < 0}
    wrong = []
    for m in PERCENT.finditer(text):
        said = float(m.group(1).replace(",", "")), len(m.group(2) or "")
        if not any(same_number(said, (k, 0)) for k in known):
            wrong.append(m.group(0))
    return wrong


# Field names that are also words every request uses: "How far is Lima from Quito?" asks for the
# distance, not for the result's field `from`.
FUNCTION_FIELDS = frozenset("from into with than that this what when where which".split())


def asked(field: str, request: str, shared: frozenset = frozenset()) -> bool:
    """The request names the field ('capital' for `capital`, 'Roman' for `roman`). `shared`: name
    parts every field of the result has ('between' in days_between and weeks_between), which tell
    no field apart, so they do not count; nor do function words (FUNCTION_FIELDS)."""
    stems = {w[:5] for w in re.findall(r"[a-z]{4,}", request.lower())}
    return any(part[:5] in stems for part in field.lower().split("_")
               if len(part) >= 4 and part not in shared and part not in FUNCTION_FIELDS)


def shared_parts(fields: list[str]) -> frozenset:
    """Name parts that every one of several fields has."""
    parts = [set(f.lower().split("_")) for f in set(fields) if f]
    return frozenset(set.intersection(*parts)) if len(parts) > 1 else frozenset()


def asked_values(observation: str, arguments: dict, request: str) -> tuple[set[str], set[str]]:
    """(the numbers of the result's fields the request asks for, the numbers of its other fields), as
    they may be written; both empty when the request names no field of the result."""
    try:
        value = json.loads(observation)
    except (json.JSONDecodeError, TypeError):
        return set(), set()
    given = {json.dumps(v) for v in leaves(arguments)}
    numeric = [(f, v) for f, v in _fields(value) if isinstance(v, (int, float)) and not isinstance(v, bool)
               and json.dumps(v) not in given]
    shared = shared_parts([f for f, _ in numeric])
    wanted, other = set(), set()
    for field, leaf in numeric:
        forms = {json.dumps(plain_number(leaf)), json.dumps(plain_number(round(leaf, 2)))}
        (wanted if asked(field, request, shared) else other).update(forms)
    return (wanted, other - wanted) if wanted else (set(), set())


def result_value(observation: str):
    """A call's result as the JSON value it was written as, or its text when it is not JSON."""
    try:
        return json.loads(observation)
    except (json.JSONDecodeError, TypeError):
        return observation


def key_values(observation: str, arguments: dict, request: str = "") -> list[str]:
    """What the result says that the call did not: its numbers (also rounded to 2 decimals), dates and
    short words ('Friday', 'MCMXCIV', 'Tokyo'), as they may be written in a sentence. A number that
    says little (0 or 1: a count of nothing, a flag) gives way to a word of the result ('Wednesday');
    when the result only echoes the arguments, all of it."""
    value = result_value(observation)
    given = {json.dumps(v) for v in leaves(arguments)} | {str(v) for v in leaves(arguments)}
    out, echoed, wanted = [], [], []
    shared = shared_parts([f for f, v in _fields(value) if isinstance(v, (int, float)) and not isinstance(v, bool)])
    for field, leaf in _fields(value):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, (int, float)):
            forms = [json.dumps(plain_number(leaf))]
            if isinstance(leaf, float) and round(leaf, 2) != leaf:
                forms.append(json.dumps(plain_number(round(leaf, 2))))
        elif isinstance(leaf, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ,.'/:-]{0,39}", leaf):  # no metachar
            forms = [leaf]
        else:
            continue
        echo = json.dumps(leaf) in given or str(leaf) in given
        (echoed if echo else out).extend(f for f in forms if f not in out)
        if not echo and request and asked(field, request, shared):
            wanted.extend(f for f in forms if f not in wanted)
    if wanted:
        return wanted[:MAX_KEY_VALUES]
    new = out or echoed
    numeric = [v for v in new if re.search(r"[0-9]", v) and v not in ("0", "1")]  # a number says the result
    return (numeric or [v for v in new if v not in ("0", "1")] or new)[:MAX_KEY_VALUES]


WORD = r"[A-Za-z][a-z'/%]{0,15}[,;]?"  # a word: a capital only first, so no 'DATETIME' or 'day-of-the-month'


FUNCTION_WORDS = ("the a an is are was were be it its this that of in on at to for from by with and or as "
                  "about your you there which has have makes gives result answer total equals so not than "
                  "exactly").split()


def vocabulary(observation: str, request: str) -> list[str]:
    """The words an answer may use: the request's, the result's (field names and words), and a few
    function words. With so few to choose from, a 135M model says the result in the user's terms
    instead of rambling ('a number that represents a monetary currency system')."""
    try:
        fields = list(_fields(json.loads(observation)))
    except (json.JSONDecodeError, TypeError):
        fields = []
    text = " ".join([request, *(f.replace("_", " ") for f, _ in fields),
                     *(v for _, v in fields if isinstance(v, str))])
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z']*", text) if len(w) <= 20]
    out = []
    for w in [*words, *FUNCTION_WORDS]:
        for form in (w, w[0].upper() + w[1:], w.lower()):
            if form not in out:
                out.append(form)
    return out[:MAX_CHOICES]


def answer_pattern(observation: str, arguments: dict, request: str, closed: bool = True) -> str:
    """A short answer in words separated by single spaces that states at least one key value of the
    result; any other number in it is one of the result's, the request's or the call's (a date whole,
    never its parts); at most two of them on each side of the key, at most ten words before it and
    eight after each value (a small model otherwise lists '1994, 1994, 1994, …' or chains
    'day-of-the-month-…' until the token limit). `closed`: its words come from `vocabulary`."""
    keys = key_values(observation, arguments, request)
    # asked for one field, the answer may restate the request and the call but no other field's value
    # ('the capital of France is 68000000')
    focused = request and keys != key_values(observation, arguments)
    text = "\n".join([request, json.dumps(arguments)] if focused else [observation, request, json.dumps(arguments)])
    undated = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", text)
    known = stated_dates(text) + [json.dumps(v) for v in stated_numbers(undated)] + [k for k in keys if re.search(r"\d", k)]
    key, number = alternatives(keys), alternatives(known[:40]) or "0"
    if not key:  # nothing to state: plain words only
        return rf"^[A-Z]{_PLAIN}{{9,180}}$"
    mark = "[,;%]?"
    word = f"({alternatives(vocabulary(observation, request))}){mark}" if closed else WORD
    return (rf"^({word} ){{0,10}}(({number}){mark} ({word} ){{1,6}}){{0,2}}({key}){mark}"
            rf"( {word}){{0,8}}( ({number}|{key}){mark}( {word}){{1,8}}){{0,2}}[.!]$")
