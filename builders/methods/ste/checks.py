"""STE's validity checks (DESIGN.md, "What valid means"): each a few lines, each with its own
reason code. They read the row alone; the LLM judge's verdict is made while generating (filtering.py)
and arrives here as reasons already.

    query  words, not code / JSON / a URL / a bare value; complete; no tool identifier or pasted doc;
           about what the called tool does (shares a word with its documentation)
    call   every argument value is stated in the conversation (or is a choice from an enum, or the
           parameter's default): a number, date or name the model made up is a hallucination; and
           the call does something (no unit converted to itself, no result that repeats an argument);
           it serves the whole request (serving.py): its direction, every quantity, date and name it
           states, the unit kinds it names, the qualifiers it adds ("by driving") that the tool
           knows; no argument made of the request's filler words
    answer words, faithful (no number that is in neither the observations, the query nor the call;
           no date or weekday other than the result's), not reciting the call, not degenerate, not
           cut off, not stitched around required values
Repeats across rows (duplicate_call, duplicate_query) are diversity.py's, run over a partition.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher

from builders.judge import Check
from builders.methods.grounding import (_ISO_DATE, _WORD, EXPRESSION_NAME, MONTHS, _fields, _is_date, asked,
                                        asked_values, choice_stated, key_values, numbers, percent_fields,
                                        plain_number, result_value, stated_dates, stated_numbers, stated_words,
                                        unstated_percents, week_days)
from builders.methods.grounding import schema_leaves as _leaves
from builders.methods import qualifiers
from builders.methods.ste import serving
from builders.methods.ste.records import Example

# Function names an expression may use for what the user said in words ("square root of 81").
MATH_WORDS = {"sqrt", "log", "log10", "log2", "exp", "sin", "cos", "tan", "abs", "round", "floor", "ceil",
              "factorial", "pow"}
COPY_CHARS = 32
MIN_QUERY_WORDS = 3


# --- numbers ---------------------------------------------------------------------------------------

def _same(value: float, decimals: int, known: float) -> bool:
    """`value` (written with `decimals` decimals) states `known`: equal, rounded, or as a percentage."""
    for k in (known, known * 100, known / 100):
        if abs(k - value) <= 1e-9 * max(1.0, abs(k)) or round(k, decimals) == value:
            return True
    return False


def stated(value: float, known: list[tuple[float, int]], decimals: int = 6) -> bool:
    return any(_same(value, decimals, k) for k, _ in known)


def unfaithful_numbers(answer: str, sources: str) -> list[str]:
    """Numbers of the answer found in none of the sources (observations, query, call), rounding allowed."""
    known = numbers(sources)
    return [f"{v:g}" for v, d in numbers(answer) if not stated(v, known, d)]


def grounded(answer: str, observation: str) -> bool:
    """Every number the answer states is in the observation (the older, weaker check's name)."""
    return not unfaithful_numbers(answer, observation)


# --- the query ---------------------------------------------------------------------------------------

def query_problem(query: str, finish: str = "stop") -> str | None:
    """Why `query` is not a natural, complete request a person would type, or None."""
    q = query.strip()
    if not q:
        return "query_missing"
    if q[0] in "{[" or re.search(r"[{}\[\]`<>;=]|\b\w+\(|\)\s*\{|=>|\bdef |\bSELECT\b|\bimport ", q):
        return "query_code"
    if re.search(r"https?://|www\.|://|\b[\w-]+\.(?:com|org|net|io|html?)\b", q, re.I):
        return "query_url"
    if len(_WORD.findall(q)) < MIN_QUERY_WORDS:
        return "query_not_words"   # a bare number, a date, a fragment
    if finish == "length" or q[-1] not in ".?!" or q.count("(") != q.count(")") or q.count('"') % 2:
        return "query_incomplete"
    if degenerate(q):
        return "query_degenerate"
    if UNSTATED.search(q):
        return "query_unstated_content"
    return None


# "with the text I just wrote", "the note you gave me": content the request refers to and never states;
# its call can only make the text up (the 1.5B wrote text="just wrote", 6 write_file rows of one run)
UNSTATED = re.compile(r"\b(?:text|note|content|contents|message|words|sentence|list|data)\s+(?:that\s+)?"
                      r"(?:I|you|we)\s+(?:just\s+|previously\s+|already\s+|have\s+|had\s+)?"
                      r"(?:wrote|written|typed|gave|given|said|mentioned|provided|entered|shared|sent)\b", re.I)


def names_tool(query: str, tools: list[dict]) -> bool:
    """A user does not write the tool's identifier (or any snake_case / camelCase identifier)."""
    names = {e.get("function", e).get("name", "").lower() for e in tools}
    for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query):
        if "_" in token.strip("_") or re.search(r"[a-z][A-Z]", token):
            return True
        if token.lower() in names and "_" in token:
            return True
    return False


def copies_doc(query: str, tools: list[dict]) -> bool:
    """An imagined query that names a tool or pastes its documentation was made from the prompt,
    not imagined, and teaches nothing."""
    q = query.lower()
    for entry in tools:
        spec = entry.get("function", entry)
        name, doc = spec.get("name", ""), spec.get("description", "").lower()
        if "_" in name and name.lower() in q:
            return True
        match = SequenceMatcher(None, q, doc, autojunk=False).find_longest_match(0, len(q), 0, len(doc))
        if match.size >= COPY_CHARS:
            return True
    return False


EXAMPLE = re.compile(r"e\.g\. ([^;)]{1,60}\)?)")


def example_numbers(tools: list[dict]) -> list[list]:
    """The numbers of each example of numbers a parameter's description gives ('e.g. [12, 18, 30]',
    "e.g. '(12.5 * 4)'"); a quoted text example ('"\\d{4}"', '"ff" or "-1011"') names no quantity."""
    out = []
    for entry in tools:
        props = entry.get("function", entry).get("parameters", {}).get("properties", {})
        for spec in props.values():
            for m in EXAMPLE.finditer(str(spec.get("description", "")) if isinstance(spec, dict) else ""):
                if m.group(1).startswith('"'):
                    continue
                found = stated_numbers(m.group(1))
                if len(found) >= 2:
                    out.append(found)
    return out


def copies_example(query: str, tools: list[dict]) -> bool:
    """A query that states most numbers of a documented example (two of two, three of four: 'What is
    12.5 times 4?' for 'e.g. (12.5 * 4) / 3') was read off the prompt, not imagined: the 1.5B wrote
    it in 2 of the 5 rows the quickstart accepted, and in several episodes of one run."""
    stated = stated_numbers(query)
    return any(sum(1 for v in example if v in stated) >= max(2, -(-2 * len(example) // 3))
               for example in example_numbers(tools))


GENERIC = set("what which when where does like would could should there their about please tell give show find "
              "need want know make many much some other than then this that these those with from into have "
              "will your them they been were".split())
ARITHMETIC = ("plus", "minu", "less", "time", "mult", "divi", "sum", "prod", "diff", "squa", "root", "powe", "perc", "add",
              "subt", "half", "doub", "trip", "aver", "tota")  # word beginnings


SAYINGS = {"far": "dist", "away": "dist", "weigh": "mass", "heavy": "mass"}  # how people ask for a quantity


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]{3,}", text.lower())
    return {w[:4] for w in words if len(w) >= 4 and w not in GENERIC} | {SAYINGS[w] for w in words if w in SAYINGS}


def on_topic(query: str, spec: dict, arguments: dict | None = None) -> bool:
    """The query asks for what the tool does: it shares a word with the tool's documentation (name,
    description, parameters, their choices), names a text value the call acts on ('/shopping.txt',
    'Lima'), or, for a tool that evaluates an expression, says an arithmetic operation. A query about
    days in a month served by prime_factors(10) is not a request that call follows from, whatever its
    numbers."""
    params = spec.get("parameters", {}).get("properties", {})
    doc = " ".join([spec.get("name", "").replace("_", " "), spec.get("description", ""),
                    *(f"{k.replace('_', ' ')} {v.get('description', '')}" for k, v in params.items()
                      if isinstance(v, dict))])
    choices = {str(c).lower() for v in params.values() if isinstance(v, dict) for c in v.get("enum", [])}
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z/]*", query)}
    if _stems(query) & _stems(doc) or words & choices:
        return True
    named = [v for v in (arguments or {}).values() if isinstance(v, str) and re.search(r"[A-Za-z]{3}", v)]
    if any(v.lower() in query.lower() for v in named):
        return True
    said = stated_words(query)  # a choice the call makes, in the words the user wrote ('miles' for `mi`)
    if any(isinstance(v, str) and v.lower() in choices and choice_stated(v, said) for v in (arguments or {}).values()):
        return True
    return any("expression" in k for k in params) and any(w.startswith(ARITHMETIC) for w in words)


def degenerate(text: str) -> bool:
    """Repetition: a piece repeated four times in a row (hyphens count as spaces: 'the answer to the
    answer-to-the-answer-to-the-answer'), or one word filling half of a long text."""
    if re.search(r"(.{2,}?)\1{3,}", re.sub(r"[\s-]+", " ", text)):
        return True
    words = [w.lower() for w in _WORD.findall(text) if len(w) > 2]
    return len(words) >= 8 and max(words.count(w) for w in set(words)) > len(words) / 2


# --- the call --------------------------------------------------------------------------------------

def _scalar(value):
    """A number as a float (also when written as a string: "144"), else the stripped lower-case text."""
    try:
        return float(value) if not isinstance(value, bool) else str(value).lower()
    except (TypeError, ValueError):
        return str(value).strip().lower()


def idle_call(arguments: dict, observation: str) -> bool:
    """A call that does nothing a person would ask for: two of its parameters given the same text (a
    unit converted to itself, the distance from a city to itself, the days from a date to the same
    date, a file written with its own name as text), or a result that only repeats one of its
    arguments (an expression that is a single number). Numbers may repeat: 2 to the power of 2."""
    texts = [v.strip().lower() for v in arguments.values() if isinstance(v, str) and v.strip()]
    if len(texts) != len(set(texts)):
        return True
    result = result_value(observation)
    if isinstance(result, (dict, list)) or result is None:
        return False
    return any(_scalar(result) == _scalar(v) for v in arguments.values() if not isinstance(v, (dict, list)))


# words that make a number its own factor: "the square of 7" is 7 * 7
POWER_WORDS = {"square": 1, "squares": 1, "squared": 1, "cube": 2, "cubes": 2, "cubed": 2, "itself": 1}


def padded_expression(arguments: dict, request: str) -> list[str]:
    """The numbers an expression repeats twice or more beyond what the request says: "10 * 10 + 10 *
    10" for "the sum of the squares of the first 10 natural numbers", "5 * 5 * 5 * 5" for the area of a
    circle of radius 5 — the model, limited by the call grammar to the request's numbers, pads one
    with itself (7 such rows of one run passed the judge). A word that makes a number its own factor
    (squared, cubed, times itself) allows that many more; one more use is an ordinary expression
    ("80 + 80 * 0.2" for 80 plus 20 % tax)."""
    extra = sum(POWER_WORDS.get(w.lower(), 0) for w in _WORD.findall(request))
    said = [v for v, _ in numbers(request)]
    padded = []
    for name, value in arguments.items():
        if not isinstance(value, str) or not EXPRESSION_NAME.search(name):
            continue
        used = [v for v, _ in numbers(value)]
        for v in set(used):
            if used.count(v) >= said.count(v) + extra + 2:  # once more is a use: "80 + 80 * 0.2" for 80 plus 20 %
                padded.append(f"{v:g}")
    return padded


def drops_date(query: str, arguments: dict, parameters: dict) -> bool:
    """The request states a date the call does not use while a date parameter of the tool is left out:
    "How many days past the end of 2022 were 2022-03-22 to 2022-03-31?" answered with
    date_arithmetic(start=2022-03-31), whose `end` would have taken the other date."""
    props = parameters.get("properties", {})
    if not any(_is_date(name, spec) and name not in arguments for name, spec in props.items()):
        return False
    used = {str(v) for v in arguments.values()}
    return any(d not in used for d in stated_dates(query))


def _choices(schema: dict) -> list:
    options = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return [c for o in options if isinstance(o, dict) for c in (o.get("enum") or []) + ([o["const"]] if "const" in o else [])]


def _date_stated(match: re.Match, text: str) -> bool:
    year, month, day = (int(g) for g in match.groups())
    low = text.lower()
    month_named = MONTHS[month - 1] in low if 1 <= month <= 12 else False
    known = [v for v, _ in numbers(text)]
    return match.group(0) in text or (year in known and day in known and (month_named or month in known))


def unstated_values(arguments: dict, parameters: dict, context: str) -> list[str]:
    """Argument values that appear nowhere in `context` (the user's words and earlier results):
    numbers, dates, names, choices the model made up. Booleans and the parameter's default pass."""
    known = numbers(context) + [(d, 0) for d in week_days(context)]
    words = stated_words(context)
    stems = {w[:5] for w in words}
    bad = []
    for path, value, schema in _leaves(arguments, parameters):
        if isinstance(value, bool) or value is None or value == schema.get("default"):
            continue
        if value in _choices(schema):
            if isinstance(value, str) and not choice_stated(value, words):
                bad.append(f"{path}={value}")
            continue
        if isinstance(value, (int, float)):
            if not stated(abs(float(value)), known):  # a sign is the direction check's to judge
                bad.append(f"{path}={value}")
            continue
        text = str(value).strip()
        if not text or text.lower() in context.lower():
            continue
        date = _ISO_DATE.match(text)
        if date:
            if not _date_stated(date, context):
                bad.append(f"{path}={text}")
            continue
        if any(not stated(v, known) for v, _ in numbers(text)):
            bad.append(f"{path}={text}")
            continue
        content = [w.lower() for w in _WORD.findall(text) if len(w) > 3 and w.lower() not in MATH_WORDS]
        missing = [w for w in content if w not in words and w[:5] not in stems]
        if content and len(missing) * 2 > len(content):
            bad.append(f"{path}={text}")
    return bad


def conversation(ex: Example) -> str:
    """What the final call may draw on: the user's words and the results of earlier calls in the row."""
    user = [m.get("content", "") for m in ex.messages if m.get("role") == "user"]
    earlier = [c.observation for c in ex.prior_calls]
    return "\n".join([*user, *earlier] or [ex.query])


# --- the answer ------------------------------------------------------------------------------------

_RECITES = re.compile(r"\bwas called\b|\bcalled with\b|\bthe (?:tool|function|api)\b|\bwith (?:the )?arguments\b|\"\w+\"\s*:",
                      re.I)


def recites(answer: str, names: set[str], arguments: dict) -> bool:
    """The answer pastes JSON, says 'the tool was called with', or names a tool or an argument key."""
    if "{" in answer or "}" in answer or _RECITES.search(answer):
        return True
    keys = {k for k in (arguments or {}) if "_" in k}
    return any(n and n in answer for n in names | keys)


def recites_call(answer: str, ex: Example) -> bool:
    return recites(answer, {ex.action, *(c.name for c in ex.prior_calls)}, ex.action_input)


_TERM = re.compile(r"\d[\d,.:/-]*\d|\d")


def not_words(answer: str) -> bool:
    """Too little of a sentence to say a result: fewer than two words, or fewer than three words and
    numbers together. '6 times 117 is 702.' and '2023-04-10 was a Monday.' say it; '702' or 'Result 702' do not."""
    words = len(_WORD.findall(answer))
    return words < 2 or words + len(_TERM.findall(answer)) < 3


def answer_problems(answer: str, finish: str, names: set[str], arguments: dict, sources: str) -> list[str]:
    """What the answer checks below would say of an answer before its row exists (best of n)."""
    a = answer.strip()
    if not a:
        return ["empty_answer"]
    found = [finish == "length" and "answer_cut_off", not_words(a) and "answer_not_words",
             recites(a, names, arguments) and "answer_recites_call", degenerate(a) and "answer_degenerate",
             not_a_sentence(a) and "answer_not_sentence", stitched(a) and "answer_broken",
             bool(unfaithful_numbers(a, sources)) and "answer_unfaithful"]
    return [f for f in found if f]


# --- checks ----------------------------------------------------------------------------------------

def called_spec(ex: Example) -> dict:
    """The offered tool's spec (name, description, parameters) that the row's call names, or {}."""
    return next((e["function"] for e in ex.tools if e.get("function", {}).get("name") == ex.action), {})


def _query(ex: Example):
    return query_problem(ex.query, ex.query_finish) if ex.query else None  # no query: malformed_output


def _off_topic(ex: Example):
    if not ex.query or not ex.action:
        return None
    spec = called_spec(ex)
    return "query_off_topic" if spec and not on_topic(ex.query, spec, ex.action_input) else None


def _names_tool(ex: Example):
    return "query_names_tool" if ex.query and names_tool(ex.query, ex.tools) else None


def _copies_doc(ex: Example):
    return "query_copies_doc" if ex.query and copies_doc(ex.query, ex.tools) else None


def _copies_example(ex: Example):
    return "query_copies_example" if ex.query and copies_example(ex.query, ex.tools) else None


def _hallucinated(ex: Example):
    if not ex.action:
        return None
    spec = called_spec(ex)
    return "argument_hallucinated" if unstated_values(ex.action_input, spec.get("parameters", {}),
                                                      conversation(ex)) else None


def _drops_date(ex: Example):
    if not ex.action or not ex.query:
        return None
    spec = called_spec(ex)
    return "argument_missing" if drops_date(ex.query, ex.action_input, spec.get("parameters", {})) else None


def _idle_call(ex: Example):
    return "call_idle" if ex.action and idle_call(ex.action_input, ex.observation) else None


def _padded(ex: Example):
    return "expression_padded" if ex.action and padded_expression(ex.action_input, ex.query) else None


def _no_answer(ex: Example):
    return "empty_answer" if ex.action and not ex.final_answer.strip() else None


def _answer_cut_off(ex: Example):
    return "answer_cut_off" if ex.final_answer and ex.answer_finish == "length" else None


def _answer_words(ex: Example):
    a = ex.final_answer.strip()
    return "answer_not_words" if a and not_words(a) else None


def _answer_recites(ex: Example):
    return "answer_recites_call" if ex.final_answer and recites_call(ex.final_answer, ex) else None


DANGLING = set("a an the of in on at to for from by with and or as is are was this that its".split())


def not_a_sentence(answer: str) -> bool:
    """Word salad a closed-vocabulary grammar lets through: it ends on a function word ('… this in of.')
    or says the same two words twice in a row ('days between days between')."""
    words = [w.strip(".,;:!?").lower() for w in answer.split()]
    words = [w for w in words if w]
    if words and words[-1] in DANGLING:
        return True
    return any(words[i:i + 2] == words[i + 2:i + 4] for i in range(len(words) - 3))


def _answer_not_sentence(ex: Example):
    return "answer_not_sentence" if ex.final_answer.strip() and not_a_sentence(ex.final_answer) else None


UNITS = ("days|weeks|months|years|hours|minutes|seconds|met(?:er|re)s|kilomet(?:er|re)s|centimet(?:er|re)s|"
         "millimet(?:er|re)s|miles|yards|feet|inches|grams|kilograms|milligrams|pounds|ounces|tonnes|lit(?:er|re)s|"
         "gallons|quarts|cups|degrees|km|cm|mm|kg|mg|lbs?")
# Words stitched in around the values a grammar required: a unit with no number before it ('which is
# about weeks between', 'with days between start and end', 'and grams to kilograms is length'), a
# verb doubled ('is equals to'), a clause that stops ('which is,').
STITCHED = re.compile(rf"\b(?:about|approximately|around|roughly|nearly|almost|exactly|is|are|was|were|equals|with|and)"
                      rf"\s+(?:{UNITS})\b|\b(?:total|sum) of (?:{UNITS})\b|\b(?:is|are|was) equals\b|\bequals to\b|"
                      r"\bwhich (?:is|are|was|were)(?: about| approximately)?\s*(?:[,.;!?]|$)|,\s*[.!?]\s*$", re.I)


def stitched(answer: str) -> bool:
    """A broken sentence built around required values (STITCHED): fluent on a glance, wrong on reading."""
    return bool(STITCHED.search(answer))


def _answer_broken(ex: Example):
    return "answer_broken" if ex.final_answer.strip() and stitched(ex.final_answer) else None


WEEKDAYS = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)


def contradicts_result(answer: str, observation: str, request: str, arguments: dict) -> list[str]:
    """Values of the answer that differ from the result's: a date that is none of the result's, the
    request's or the call's (each date whole, not its parts); a weekday other than the result's; a
    percentage other than the result's percentage field ("the percentage change from 50 to 100 is
    50%": its numbers are all in the result, only the % makes it wrong). (Numbers: answer_unfaithful,
    rounding allowed.)"""
    known = set(stated_dates("\n".join([observation, request, json.dumps(arguments)])))
    wrong = [d for d in stated_dates(answer) if d not in known]
    result_days = {d.lower() for d in WEEKDAYS.findall(observation)}
    asked_days = {d.lower() for d in WEEKDAYS.findall(request)}
    if result_days:
        wrong += [d for d in WEEKDAYS.findall(answer) if d.lower() not in result_days | asked_days]
    percents = percent_fields(observation)
    return wrong + (unstated_percents(answer, percents, request) if percents else [])


def _answer_contradicts(ex: Example):
    if not ex.final_answer.strip() or not ex.observation:
        return None
    found = contradicts_result(ex.final_answer, ex.observation, ex.query, ex.action_input)
    return "answer_contradicts_result" if found else None


# --- does the call serve the whole request (serving.py) ---------------------------------------------

def _direction(ex: Example):
    if not ex.action or not ex.query:
        return None
    params = called_spec(ex).get("parameters", {})
    wrong = serving.ignores_direction(ex.query, ex.action_input, params) or \
        serving.answer_reverses(ex.query, ex.final_answer) or serving.order_reversed(ex.query, ex.action_input)
    return "direction_ignored" if wrong else None


def _half_served(ex: Example):
    """A value made up or a date dropped has its own reason; this one is for a request left half done."""
    if not ex.action or not ex.query:
        return None
    spec = called_spec(ex)
    params = spec.get("parameters", {})
    if unstated_values(ex.action_input, params, conversation(ex)) or drops_date(ex.query, ex.action_input, params):
        return None
    # every call of the row: a failed trial tried the value ("divide 10 by 0, and if that fails …")
    calls = [c.arguments for c in [*ex.prior_calls, *ex.trials]]
    return "request_half_served" if serving.unserved(ex.query, calls, params, json.dumps(spec)) else None


def _unit_kind(ex: Example):
    if not ex.action or not ex.query:
        return None
    return "unit_kind_mismatch" if serving.mismatched_units(ex.query, ex.action_input) else None


def _qualifier(ex: Example):
    """'by driving' answered with a great-circle distance: the tool's documentation and the call know
    nothing of how the request qualifies what it asks for (qualifiers.py, shared with α-UMi)."""
    if not ex.action or not ex.query:
        return None
    known = json.dumps(called_spec(ex)) + " " + json.dumps(ex.action_input)
    return "qualifier_unsupported" if qualifiers.unknown(ex.query, known) else None


def _filler(ex: Example):
    if not ex.action:
        return None
    return "argument_filler" if serving.filler_values(ex.action_input, called_spec(ex).get("parameters", {})) else None


def _answer_degenerate(ex: Example):
    return "answer_degenerate" if ex.final_answer and degenerate(ex.final_answer) else None


def wrong_field(answer: str, observation: str, arguments: dict, request: str) -> bool:
    """The request asks for a field of the result (days), and the answer states another field's value
    (the weeks) but none of the asked one: faithful to the result, and still the wrong answer."""
    wanted, other = asked_values(observation, arguments, request)
    stated = {json.dumps(plain_number(n)) for n, _ in numbers(answer)}
    return bool(stated & other) and not stated & wanted


INFORMATION_VERBS = {"convert", "calculate", "compute", "find", "tell", "give", "show", "count", "list", "look",
                     "what", "how", "which", "when", "where", "who", "is", "are", "does", "do", "can", "provide",
                     "read", "get", "check", "determine", "estimate", "display", "fetch", "retrieve", "explain"}


def asks_for_information(request: str) -> bool:
    """A question, or a request for a value ('Convert 5 km to miles.'), not one for an action ('Please
    save the text milk as /shopping.txt.'), whose answer confirms it rather than reporting the result."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", request)]
    words = words[1:] if words[:1] == ["please"] else words
    polite = POLITE.search(request)  # "… Can you write it into the file?" asks for an action
    if polite and request.rstrip().endswith("?"):
        verb = polite.group(1).lower()
        arithmetic = verb in CALCULATING and re.match(r"\s*[-\d]", request[polite.end(1):])  # "add 5 and 7"
        asks_too = re.search(r"\b(?:tell|show|give)\s+me\b|\b(?:how|what|which|whether)\b", polite.group(0), re.I)
        return verb in INFORMATION_VERBS or bool(arithmetic) or bool(asks_too)
    return request.rstrip().endswith("?") or bool(words) and words[0] in INFORMATION_VERBS


CALCULATING = {"add", "subtract", "multiply", "divide", "sum", "round"}
# the last sentence, a polite request: "Can you (please) VERB …?" — an action unless VERB asks for a value
POLITE = re.compile(r"(?:^|[.!?]\s+)(?:can|could|would|will)\s+you\s+(?:please\s+)?([A-Za-z]+)(?:(?![.!?]\s).)*$",
                    re.I)


def misses_result(answer: str, observation: str, arguments: dict, request: str) -> bool:
    """The answer states none of the result's key values (grounding.key_values: the value of the field
    the request asks for, else what the result adds to the call): "A flight from Tokyo to Paris is
    from Tokyo, JP, to Paris, FR, distance in km." for a distance of 9712.5. A number may be rounded
    (878 for 878.4), a date written with its month's name, a word in any case; a yes/no question
    about a field that is true or false ("Is 360 a prime?") is answered in words."""
    if not asks_for_information(request):
        return False
    if any(isinstance(leaf, bool) and asked(field, request) for field, leaf in _fields(result_value(observation))):
        return False
    keys = key_values(observation, arguments, request)
    said, dates, low = numbers(answer), stated_dates(answer), answer.lower()
    if re.search(r"\babsolute\b", request, re.I) and re.search(r"(?<![\w.-])-\d", answer):
        return True  # "the absolute difference between 20 and 15 is -5": an absolute value is never negative
    for key in keys:
        if _ISO_DATE.fullmatch(key):
            if key in dates:
                return False
            continue
        try:
            number = float(key)
        except ValueError:
            if key.lower() in low:
                return False
            continue
        if any(_same(v, d, abs(number)) for v, d in said):  # the answer's numbers are unsigned: -5 days is "5 days"
            return False
    return bool(keys)


def _answer_misses_result(ex: Example):
    if not ex.final_answer.strip() or not ex.observation:
        return None
    return "answer_misses_result" if misses_result(ex.final_answer, ex.observation, ex.action_input, ex.query) else None


def _answer_wrong_field(ex: Example):
    if not ex.final_answer.strip() or not ex.observation:
        return None
    return "answer_wrong_field" if wrong_field(ex.final_answer, ex.observation, ex.action_input, ex.query) else None


def _answer_unfaithful(ex: Example):
    if not ex.final_answer.strip():
        return None
    sources = [ex.observation, conversation(ex), json.dumps(ex.action_input)]
    return "answer_unfaithful" if unfaithful_numbers(ex.final_answer, "\n".join(sources)) else None


CHECKS = (
    Check("query", _query, (Example,)),
    Check("query_names_tool", _names_tool, (Example,)),
    Check("query_copies_doc", _copies_doc, (Example,)),
    Check("query_copies_example", _copies_example, (Example,)),
    Check("query_off_topic", _off_topic, (Example,)),
    Check("argument_hallucinated", _hallucinated, (Example,)),
    Check("argument_missing", _drops_date, (Example,)),
    Check("call_idle", _idle_call, (Example,)),
    Check("expression_padded", _padded, (Example,)),
    Check("direction_ignored", _direction, (Example,)),
    Check("request_half_served", _half_served, (Example,)),
    Check("unit_kind_mismatch", _unit_kind, (Example,)),
    Check("qualifier_unsupported", _qualifier, (Example,)),
    Check("argument_filler", _filler, (Example,)),
    Check("empty_answer", _no_answer, (Example,)),
    Check("answer_cut_off", _answer_cut_off, (Example,)),
    Check("answer_not_words", _answer_words, (Example,)),
    Check("answer_recites_call", _answer_recites, (Example,)),
    Check("answer_degenerate", _answer_degenerate, (Example,)),
    Check("answer_not_sentence", _answer_not_sentence, (Example,)),
    Check("answer_unfaithful", _answer_unfaithful, (Example,)),
    Check("answer_wrong_field", _answer_wrong_field, (Example,)),
    Check("answer_misses_result", _answer_misses_result, (Example,)),
    Check("answer_broken", _answer_broken, (Example,)),
    Check("answer_contradicts_result", _answer_contradicts, (Example,)),
)
