"""What an α-UMi trajectory must pass to be kept, each failure a reason code.

    query_unnatural      the request is code, JSON, a URL, a bare number, names a tool, or copies the worked example
    call_not_executed    a call has no execution status or observation
    unfinished           the episode ended without conclusion or give up
    too_few_calls        concluded with fewer successful calls than `min_calls`
    last_call_failed     concluded right after a failed call
    give_up_unjustified  gave up although the last `give_up_after` calls did not all fail, or before
                         every offered tool was tried
    repeated_call        the same successful call twice (a loop, not a plan)
    call_undoes_earlier  a call takes an earlier result and gives back that call's input (°C → °F → °C)
    argument_unfounded   a call's value is in neither the request nor an earlier result
    call_after_needs_met a call made after every sub-request was served (a step nobody asked for)
    call_unneeded        a successful call before then that serves no sub-request and feeds no later call
    subrequest_unserved  concluded with a sub-request of the query that no call served, or served
                         without its qualifier ("inclusive" to a tool that counts exclusively) (needs.py)
    empty_answer / answer_degenerate / answer_recites_call / answer_unfaithful / answer_ungrounded
    answer_contradicts   the answer (or the planner's rationale for concluding) states a date, weekday,
                         Roman numeral or percentage other than those the results it rests on gave
    thought_degenerate   a planner turn without a usable rationale; thought_cut: it stops mid-sentence;
    thought_contradicts_next: a conclusion whose rationale announces a step still to do or calls a result wrong
    give_up_unclear      a give-up whose message does not say which call failed and why
    query_conditional    a request with a condition ("If the result is less than 10%, then …") the checks
                         cannot verify
    role_format          a role row breaks α-UMi's format (invariants.py)

`argument_unfounded` is how "later calls use earlier results where the query needs it" is checked:
every value a call passes must be stated in the request or returned by an earlier successful call. A
number counts as stated only as a number: the parts of a date ('01' in 2024-01-09) are not a `1` the
user said, except for a parameter that takes a date's part (year, month, day); a date must be stated
whole. Enum values, booleans and the parameter's own default are the tool's options and are exempt.

The answer is held to the results it rests on: the calls up to the one that met the request's needs
(a later, unasked call cannot lend it values). These checks are deterministic: no judge's opinion
overrides them.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher

from builders.methods.grounding import (MONTHS, percent_fields, result_value, same_number, stated_dates,
                                        unstated_percents)
from builders.methods.grounding import numbers as stated_numbers
from builders.methods.roles.invariants import row_problems
from builders.methods.roles.needs import coverage, typed_values, undated, uses_result
from builders.methods.roles import planner
from builders.methods.roles.query import DEMO_QUERY
from builders.methods.roles.records import RoleRow, Trajectory
from builders.tools.builtin.units import roman_to_int

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z ]{2,40}$")


def numbers(text: str) -> list[tuple[float, int]]:
    """Unsigned numbers in text with their decimals ('1,234.50' → (1234.5, 2)); dates give their parts."""
    out = []
    for token in _NUMBER.findall(_GROUPED.sub("", text)):
        out.append((float(token), len(token.split(".")[1]) if "." in token else 0))
    return out


def stated(value: tuple[float, int], sources: list[tuple[float, int]]) -> bool:
    return any(same_number(value, s) for s in sources)


def text_values(observation: str) -> list[str]:
    """The words a result returned (string values of its JSON, 3+ characters, not numbers)."""
    try:
        value = json.loads(observation)
    except ValueError:
        return []
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack += list(v.values())
        elif isinstance(v, list):
            stack += v
        elif isinstance(v, str) and len(v.strip()) >= 3 and not _NUMBER.fullmatch(v.strip()):
            out.append(v.strip().lower())
    return out


def _settings(record) -> dict:
    return record.switches if isinstance(record.switches, dict) else {}


def _calls(t: Trajectory):
    return [s for s in t.steps if s.next == "caller"]


def copies(text: str, example: str, chars: int = 24) -> bool:
    """Does `text` repeat a long stretch of the prompt's worked example (made from the prompt, not imagined)?"""
    a, b = text.lower(), example.lower()
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size >= chars


def unnatural(q: str, tool_names: list[str]) -> bool:
    """Code, JSON, a URL, a bare value, a tool's name, or the worked example copied."""
    return bool(len(q.split()) < 4 or re.search(r"[{}\[\]]|https?://|```|\bdef |\bSELECT\b", q)
                or not re.search(r"[A-Za-z]{3}", q)
                or any("_" in name and name.lower() in q.lower() for name in tool_names)
                or copies(q, DEMO_QUERY))


def query_unnatural(t: Trajectory) -> str | None:
    q = t.query.strip()
    if not q:
        return None  # generation failed; its reason is already there
    return "query_unnatural" if unnatural(q, t.tool_names) else None


_CONDITION = re.compile(r"(?:^|[.?!,;]\s*|\band\s+)(?:if|unless|in case|only if|otherwise)\b", re.I)


def conditional(query: str) -> bool:
    """A request whose later part depends on a condition ("If the result is less than 10%, then …"):
    whether a call should have been made at all is a judgement these checks cannot verify, and the
    1.5B got it wrong (it added 10 % to 150 after finding a 50 % increase "less than 10%")."""
    return bool(_CONDITION.search(query or ""))


def query_conditional(t: Trajectory) -> str | None:
    return "query_conditional" if conditional(t.query) else None


def calls_executed(t: Trajectory) -> str | None:
    if any(not s.status or not s.observation or s.name not in t.tool_names for s in _calls(t)):
        return "call_not_executed"
    return None


def finished(t: Trajectory) -> str | None:
    return "unfinished" if t.query and not t.outcome and not t.reasons else None


def concluded_well(t: Trajectory) -> str | None:
    if t.outcome != "conclusion":
        return None
    calls = _calls(t)
    if not calls or calls[-1].status != "ok":
        return "last_call_failed"
    if sum(s.status == "ok" for s in calls) < _settings(t).get("min_calls", 2):
        return "too_few_calls"
    return None


def gave_up_fairly(t: Trajectory) -> str | None:
    """Giving up is right when the tools really failed: the last `give_up_after` calls all failed, and
    every tool offered was tried (a 1.5B planner asked convert_units for "2323 kg to Roman numeral" four
    times and gave up without calling int_to_roman, which serves it)."""
    if t.outcome != "give_up":
        return None
    n = _settings(t).get("give_up_after", 2)
    calls = _calls(t)
    failed = len(calls) >= n and all(s.status != "ok" for s in calls[-n:])
    untried = set(t.tool_names) - {s.name for s in calls}
    return None if failed and not untried else "give_up_unjustified"


def give_up_plain(t: Trajectory) -> str | None:
    """A give-up says so plainly: the planner's last turn names the tool that failed and that it failed
    (planner.give_up_thought writes it so; a vague "I am done" teaches nothing)."""
    if t.outcome != "give_up":
        return None
    failed = {s.name for s in _calls(t) if s.status != "ok"}
    last = t.steps[-1].thought.lower() if t.steps else ""
    says = re.search(r"\b(fail|error|cannot|can't|unable|invalid|not found|does not exist)", last)
    return None if says and any(name.lower() in last for name in failed) else "give_up_unclear"


def no_repeats(t: Trajectory) -> str | None:
    seen = set()
    for s in _calls(t):
        if s.status == "ok":
            key = (s.name, json.dumps(s.arguments, sort_keys=True))
            if key in seen:
                return "repeated_call"
            seen.add(key)
    return None


_DATE_PARTS = re.compile(r"(^|_)(year|month|day)$")


def unfounded(value, name: str, schema: dict, known: str) -> bool:
    """Is one leaf of a call's arguments stated nowhere in `known` (the request and earlier results)?"""
    if isinstance(value, bool) or value is None or "enum" in schema or "const" in schema:
        return False
    if "default" in schema and schema["default"] == value:
        return False
    said = stated_numbers(undated(known))
    if isinstance(value, (int, float)):
        pool = stated_numbers(known) if _DATE_PARTS.search(name) else said
        return not stated((abs(float(value)), _decimals(value)), pool)   # the sign is a direction (needs.py)
    if not isinstance(value, str):
        return False
    dates = stated_dates(value)
    if dates and not set(dates) <= set(stated_dates(known)):
        return True
    if any(not stated(n, said) for n in stated_numbers(undated(value))):
        return True
    return bool(_WORDS.match(value.strip()) and value.strip().lower() not in known.lower())


def arguments_founded(t: Trajectory) -> str | None:
    """Every value of every successful call is in the request or an earlier successful result (see
    the module doc); a failed call's error echoes the model's own values, so it founds nothing."""
    params = {e["function"]["name"]: e["function"].get("parameters") or {} for e in t.tools}
    known = t.query
    for s in _calls(t):
        if s.status != "ok":
            continue
        for name, leaf, schema in _named_leaves(s.arguments, params.get(s.name)):
            if unfounded(leaf, name, schema, known):
                return "argument_unfounded"
        known += "\n" + s.observation
    return None


def _named_leaves(value, schema: dict | None = None, name: str = ""):
    """(parameter name, leaf, its schema) for every scalar in a call's arguments."""
    schema = schema or {}
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for k, v in value.items():
            yield from _named_leaves(v, props.get(k) or {}, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _named_leaves(v, schema.get("items") or {}, name)
    else:
        yield name, value, schema


def _coverage(t: Trajectory):
    about = {e["function"]["name"]: e["function"].get("description", "") for e in t.tools
             if isinstance(e.get("function"), dict)}
    return coverage(t.query, _calls(t), about)


def needs_met_last(t: Trajectory) -> str | None:
    """No call after every sub-request of the query was served (a step nobody asked for)."""
    calls = _calls(t)
    met = _coverage(t).met_at
    return "call_after_needs_met" if met is not None and len(calls) > met + 1 else None


def calls_needed(t: Trajectory) -> str | None:
    """Every successful call up to the one that met the request's needs serves a sub-request or gives a
    later call a value. Real 1.5B trajectories looked up the start date first ("To find the weekday of
    the date 30 days after 2029-01-23, … date-info" → date_info(2029-01-23)), and one answer took that
    date's ISO week for the later date's: a planner row a trainer should not learn from."""
    if t.outcome != "conclusion":
        return None
    calls, cov = _calls(t), _coverage(t)
    if cov.unserved:  # rejected for that already; which call was meant for what is not clear then
        return None
    last = cov.met_at if cov.met_at is not None else len(calls) - 1
    ok = [k for k, s in enumerate(calls) if s.status == "ok"]
    for k in ok:
        if k <= last and k not in cov.served_by and not any(uses_result(calls[j], calls[k]) for j in ok if j > k):
            return "call_unneeded"
    return None


def requests_served(t: Trajectory) -> str | None:
    """A concluded trajectory served every sub-request of the query; one that did not must give up."""
    if t.outcome != "conclusion":
        return None
    return "subrequest_unserved" if _coverage(t).unserved else None


def resting_calls(t: Trajectory) -> list:
    """The successful calls an answer rests on: those up to the one that met the request's needs."""
    calls = _calls(t)
    met = _coverage(t).met_at
    return [s for k, s in enumerate(calls) if s.status == "ok" and (met is None or k <= met)]


_MONTH_DAY = re.compile(rf"\b({'|'.join(MONTHS)})[a-z]*\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)


def month_days(text: str) -> set[str]:
    """'MM-DD' of every date a text writes with its month's name, with or without the year ('March 2nd')."""
    return {f"{MONTHS.index(m.group(1).lower()) + 1:02d}-{int(m.group(2)):02d}" for m in _MONTH_DAY.finditer(text)
            if 1 <= int(m.group(2)) <= 31}


_ROMAN = re.compile(r"""(?<![A-Za-z'"])([MDCLXVI]{2,})(?![A-Za-z'"])|['"]([MDCLXVI]+)['"]""")


def romans(text: str) -> set[str]:
    """The Roman numerals a text writes: a word of two or more numeral letters in canonical form
    ("CC", not "LCD"), or a quoted one ('C'; a bare "I" is the pronoun)."""
    found = set()
    for m in _ROMAN.finditer(text):
        numeral = m.group(1) or m.group(2)
        try:
            found.add(roman_to_int(numeral)["roman"])  # the built-in tool's reader: canonical form only
        except ValueError:
            pass
    return found


def answer_matches_results(t: Trajectory) -> str | None:
    """Every date, weekday and Roman numeral the answer — and the planner's rationale for concluding
    — states is one the results it rests on gave (or the request or the calls stated): '2024-03-04,
    a Monday' for an observed 2024-03-01, Friday is a contradiction, and so is 'March 2nd' (no year)
    for an observed 2024-02-29, and "the Roman numeral 'C'" where int_to_roman gave "CC". A planner
    row teaches its rationale as much as a summarizer row its answer."""
    if t.outcome != "conclusion" or not t.final_answer.strip():
        return None
    rest = resting_calls(t)
    known = t.query + "".join("\n" + s.observation + "\n" + json.dumps(s.arguments) for s in rest)
    seen_dates, seen_days = typed_values(known)
    seen_month_days = {d[5:] for d in seen_dates} | month_days(known)
    seen_romans = romans(known)
    percents = {p for s in rest for p in percent_fields(s.observation)}
    for text in [t.final_answer, *(s.thought for s in t.steps if s.next == "conclusion")]:
        dates, days = typed_values(text)
        if dates - seen_dates or days - seen_days or month_days(text) - seen_month_days or romans(text) - seen_romans:
            return "answer_contradicts"
        if percents and unstated_percents(text, percents, t.query):
            return "answer_contradicts"  # "the percent change of 50 to 87.2 is 37.2%": the change, not the 74.4 %
    return None


def undoes_earlier(t: Trajectory) -> str | None:
    """A call that takes an earlier call's result and gives back that call's input undoes it: 12 °C
    → 53.6 °F, then 53.6 °F → 12 °C (read in a real run, between the conversion the request asked for
    and a call on the original 12). Nobody asked for the round trip; its planner and caller rows
    would teach it."""
    calls = [s for s in _calls(t) if s.status == "ok"]
    for k, later in enumerate(calls):
        took = _values(later.arguments)
        for earlier in calls[:k]:
            if not took & _values(result_value(earlier.observation)):
                continue  # it does not build on this call's result
            gave = _values(result_value(later.observation)) - took
            if gave & _values(earlier.arguments):
                return "call_undoes_earlier"
    return None


def _values(value) -> set:
    """The numbers (as floats) and dates among a value's leaves: what one call can hand to another."""
    out = set()
    for _, leaf, _ in _named_leaves(value):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, (int, float)):
            out.add(round(float(leaf), 6))
        elif isinstance(leaf, str):
            out |= set(stated_dates(leaf))
            if re.fullmatch(r"-?\d+(?:\.\d+)?", leaf.strip()):
                out.add(round(float(leaf), 6))
    return out


def _decimals(x) -> int:
    text = repr(float(x))
    return 0 if float(x).is_integer() else len(text.split(".")[1]) if "e" not in text else 6


_STILL_TO_DO = re.compile(r"\b(next step|need to (?:use|call|calculate|find|determine|get|convert|count)|"
                         r"will (?:use|call|now)|let me|I should (?:use|call))\b", re.I)
# a conclusion whose rationale calls a result wrong ("the second conversion resulted in an incorrect answer
# due to a misunderstanding", a 1.5B planner's, over two right conversions) teaches concluding on a doubt
_DOUBT = re.compile(r"\b(incorrect|wrong|mistaken|misunderstand\w*|inaccurate|not (?:correct|right|accurate))\b", re.I)


def thoughts(t: Trajectory) -> str | None:
    """Usable rationales: not degenerate, not cut off (a planner target ends its sentence), and a
    conclusion's rationale does not announce a step still to do ("The next step would be to …") nor
    call a result wrong."""
    for s in t.steps:
        words = s.thought.split()
        if len(words) < 3 or s.thought.lstrip().startswith(("{", "[")) or len(set(words)) < len(words) / 3:
            return "thought_degenerate"
        if not s.thought.rstrip().endswith((".", "!", "?")) or planner.forced_stop(s.thought):
            return "thought_cut"
        if s.next == "conclusion" and (_STILL_TO_DO.search(s.thought) or _DOUBT.search(s.thought)):
            return "thought_contradicts_next"
    return None


def degenerate(text: str) -> bool:
    words = text.split()
    if len(words) < 3 or not re.search(r"[A-Za-z]{3}", text):
        return True
    grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    return len(grams) >= 6 and len(set(grams)) < len(grams) / 2


def answer(t: Trajectory) -> str | None:
    """The answer states results in words, faithfully: no number that is in neither the observations,
    the request nor the calls (nor in the planner's rationale for concluding: "…resulting in 160" where
    the calculator gave 165); when the results carry numbers, at least one of them, unless the
    answer quotes a text value of a result instead."""
    if t.outcome != "conclusion":
        return None
    text = t.final_answer.strip()
    if not text:
        return "empty_answer"
    if degenerate(text):
        return "answer_degenerate"
    ok = [s for s in _calls(t) if s.status == "ok"]
    if re.search(r'[{\[]\s*"|Action Input|"arguments"', text) or any("_" in s.name and s.name in text for s in ok):
        return "answer_recites_call"
    observed = [n for s in ok for n in numbers(s.observation)]
    sources = observed + numbers(t.query) + [n for s in ok for n in numbers(json.dumps(s.arguments))]
    said = numbers(text)
    concluding = numbers(t.steps[-1].thought) if t.steps and t.steps[-1].next == "conclusion" else []
    if any(not stated(n, sources) for n in said + concluding):  # a planner row teaches its rationale too
        return "answer_unfaithful"
    quoted = any(v in text.lower() for s in ok for v in text_values(s.observation))
    if observed and not quoted and not any(stated(n, observed) for n in said):
        return "answer_ungrounded"
    return None


def role_format(row: RoleRow) -> str | None:
    return "role_format" if row_problems(row.umi(), row.role, row.tools) else None
