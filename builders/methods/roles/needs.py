"""What a request needs, and which calls serve it: the request cut into sub-requests, each served by
a call that takes its values or whose result holds the field it names.

A small planner calls once more after the request is served ("add 1 day to the result", never
asked for) or concludes with half a request served; these are the facts the checks judge with.

    sub-request   one demand of the request: a clause cut at `?`, `.`, `;`, `then`, and at `and` when
                  a new demand follows ("…, and what is its weekday"), never inside "between X and Y"
    its values    the dates, numbers, quoted texts and paths it states (a date whole: its parts are
                  not numbers the user said)
    served        by a successful call whose arguments take all of its values (a number as a negative
                  offset where the clause goes back: "10 days before" wants -10); a sub-request that
                  states no value ("what is its weekday", "read that file back") by a result that
                  has the field it names, or by a call to a tool its words name (read_file); one that refers
                  back to an earlier result ("convert that result to Roman numerals", "the difference
                  between those two dates") only by a call that passes a value an earlier call returned
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from builders.methods import qualifiers
from builders.methods.grounding import (BACKWARD, MONTHS, asked, asked_values, leaves, numbers, plain_number,
                                        stated_dates)

_NAMED_DATE = re.compile(rf"\b(?:(?:{'|'.join(MONTHS)})[a-z]*\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|"
                         rf"\d{{1,2}}(?:st|nd|rd|th)? (?:{'|'.join(MONTHS)})[a-z]*\.?,? \d{{4}})\b", re.I)
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# words that begin a new demand after "and" ("…, and what is its weekday", "and count the days …")
_DEMAND = ("what which how when where who whose is are does do can could count calculate compute find determine "
           "convert tell give get list check show work figure also then its the their express say add subtract "
           "multiply divide round write").split()
# a demand named in other words than the result's field
ALIASES = {r"\bday of (?:the )?week\b": "weekday", r"\bhow far\b": "distance", r"\bhow many days\b": "days",
           r"\bweek number\b": "week"}
# a reference back to an earlier value names no demand: "the ISO week number of that date"
_REFERENCE = re.compile(r"\b(?:of|for|on|from|in|to|at)\s+(?:that|this|the|its|their|it|the new|the resulting)"
                        r"(?:\s+\w+)?\s*$", re.I)
# "convert that percentage into a Roman numeral" demands the Roman numeral: the percentage it converts
# is its input, and a result's `percent` field does not serve it (a 1.5B planner was made to conclude so)
_CONVERTED = re.compile(r"^.*?\b(?:convert|express|turn|translate|change|write|represent)(?:s|ed|ing)?\b.*?\b(?:into|to|as|in)\s+", re.I)
_FILLER = set("please help need want know like thanks thank could would also then tell give find calculate compute "
              "determine what which how when where show work figure out check count convert list".split())


def undated(text: str) -> str:
    """`text` without its dates (ISO and written with a month's name): what its numbers are, apart."""
    return _ISO.sub(" ", _NAMED_DATE.sub(" ", text))


_QUOTED = re.compile(r"""(?:^|(?<=\s))['"]([^'"]{2,}?)['"](?=[\s,.;:?!]|$)|(?<![\w/])(/[\w./-]+\w)""")


def stated_values(text: str) -> tuple[set[str], list[tuple[float, int]]]:
    """(its dates as YYYY-MM-DD, its other numbers)."""
    return set(stated_dates(text)), numbers(undated(text))


def stated_texts(text: str) -> set[str]:
    """Quoted texts and paths a clause states ('buy milk', /notes/todo.txt), lower-cased."""
    return {(a or b).lower() for a, b in _QUOTED.findall(text)}


def clauses(query: str) -> list[str]:
    """The request cut into sub-requests (see the module doc)."""
    out = []
    for part in re.split(r"[?.;!]+(?:\s+|$)|,?\s+(?:and\s+)?then\s+", query):
        pieces, current = [], []
        words = part.split()
        for i, w in enumerate(words):
            nxt = words[i + 1].lower().strip(",") if i + 1 < len(words) else ""
            between = " ".join(current).lower()
            open_pair = re.search(r"\b(between|both)\b(?!.*\band\b)", between)
            if w.lower() == "and" and current and nxt in _DEMAND and not open_pair:
                pieces.append(" ".join(current).rstrip(","))
                current = []
            else:
                current.append(w)
        if current:
            pieces.append(" ".join(current))
        out += [p.strip(" ,") for p in pieces if p.strip(" ,")]
    return [c for c in out if demands(c)]


def demands(clause: str) -> bool:
    """A clause asks for something: it states a value or has a content word that is not filler."""
    dates, nums = stated_values(clause)
    words = [w for w in re.findall(r"[a-z]{4,}", clause.lower()) if w not in _FILLER]
    return bool(dates or nums or words)


def takes(arguments: dict, clause: str) -> bool:
    """The call's arguments take every date and number the clause states."""
    dates, nums = stated_values(clause)
    texts = stated_texts(clause)
    if not dates and not nums and not texts:
        return False
    values = [v for v in leaves(arguments) if not isinstance(v, bool)]
    if any(not any(isinstance(v, str) and t in v.lower() for v in values) for t in texts):
        return False
    given_dates = {d for v in values if isinstance(v, str) for d in stated_dates(v)}
    given = [n for v in values for n in (numbers(undated(v)) if isinstance(v, str) else [(float(v), 0)]
                                         if isinstance(v, (int, float)) else [])]
    sign = -1 if BACKWARD.search(clause) else 1    # "10 days before" is taken by -10, not by 10
    signed = [x * sign if any(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(abs(v) - x) < 1e-9
                              for v in values) else x for x, _ in nums]
    return dates <= given_dates and all(any(abs(x - y) < 1e-9 for y, _ in given) for x in signed)


def named_fields(observation: str) -> list[str]:
    try:
        value = json.loads(observation)
    except (json.JSONDecodeError, TypeError):
        return []
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            out += [str(k) for k in v]
            stack += list(v.values())
        elif isinstance(v, list):
            stack += v
    return out


def names_result(clause: str, call) -> bool:
    """A clause without values is served by a result with the field it names ('its weekday' → weekday)
    or by a call to the tool it names ('read that file' → read_file); a trailing reference ('of that
    date') names nothing."""
    text = clause.lower()
    for pattern, word in ALIASES.items():
        text = re.sub(pattern, word, text)
    demand = _CONVERTED.sub("", _REFERENCE.sub("", text))
    return names_tool(call.name, text) or any(asked(f, demand) for f in named_fields(call.observation))


def names_tool(name: str, text: str) -> bool:
    """Every word of the tool's name is in the text ('read that file' names read_file, not write_file)."""
    words = re.findall(r"[a-z]{3,}", text.lower())
    parts = [p for p in name.lower().split("_") if len(p) >= 3]
    return bool(parts) and all(any(w.startswith(p[:4]) for w in words) for p in parts)


@dataclass
class Coverage:
    """Which sub-requests the calls served, and when: `served_by[i]` is the index (in `calls`) of the
    first call that served clause i, or None; `met_at` the call after which all were served."""
    clauses: list[str]
    served_by: list[int | None] = field(default_factory=list)
    met_at: int | None = None

    @property
    def unserved(self) -> list[str]:
        return [c for c, k in zip(self.clauses, self.served_by) if k is None]


def coverage(query: str, calls: list, about: dict[str, str] | None = None) -> Coverage:
    """Sub-requests served by the successful ones of `calls` (Steps: name, arguments, status,
    observation), in order. `about`: each tool's description, which says whether it knows a
    qualifier ("inclusive"); a clause served without it waits for a later call that adjusts the result."""
    about = about or {}
    cov = Coverage(clauses(query))
    cov.served_by = [None] * len(cov.clauses)
    pending: dict[int, int] = {}            # clause → the call that counted it without its qualifier
    has_values = [bool(any(stated_values(c)) or stated_texts(c)) for c in cov.clauses]
    back = [refers_back(c) and not re.search(r"\d", c) for c in cov.clauses]  # "those two dates": two counts them
    for k, call in enumerate(calls):
        if call.status != "ok":
            continue
        for i, clause in enumerate(cov.clauses):
            if cov.served_by[i] is not None:
                continue
            if i in pending:  # adjusted: a call that takes the count and gives something else
                if uses_result(call, calls[pending[i]]) and call.observation != calls[pending[i]].observation:
                    cov.served_by[i] = k
                continue
            if back[i]:  # by a call on an earlier result, or by the call that served the stated clause before it
                # when its result names what is asked ("the weekday of that date", "that change in percent")
                served = names_result(clause, call) and (
                    any(uses_result(call, c) for c in calls[:k] if c.status == "ok")
                    or i and cov.served_by[i - 1] == k and has_values[i - 1] and not _PLURAL.search(clause))
            else:
                served = takes(call.arguments, clause) if has_values[i] else any(
                    names_result(clause, c) for c in calls[:k + 1] if c.status == "ok")
            if served and (refers_back(clause) or _PRONOUN.search(clause)) and any(
                    takes_unasked(call, calls[j], clause, " ".join(c for c, b in zip(cov.clauses, cov.served_by) if b == j))
                    for j in range(k) if calls[j].status == "ok"):
                served = False  # "multiply that by 86.5" after "the percentage increase": the change was passed
            if served:
                if qualifier_ignored(clause, call, about.get(call.name, "")):
                    pending[i] = k
                else:
                    cov.served_by[i] = k
        if cov.met_at is None and cov.clauses and all(s is not None for s in cov.served_by):
            cov.met_at = k
    return cov


# "convert that result to Roman numerals": the clause acts on an earlier result, so only a call that
# passes a value of an earlier result serves it (a 1.5B caller passed the request's 12, not the 2839 ml)
_BACK = re.compile(r"\b(?:that|this|the|its|the resulting|the new)\s+(?:result|value|number|percentage|percent|"
                   r"amount|total|sum|answer|difference|change|distance|count|figure|output)\b|\bit\b|"
                   r"\b(?:those|these|both)\s+(?:\w+\s+)?(?:dates|results|values|numbers|days|amounts)\b", re.I)
# "the weekday of that date", "determine its weekday": a fact of the one thing the clause before found,
# which the call that found it may give too (date_arithmetic gives the new date's weekday)
_FACT_OF_IT = re.compile(r"\b(?:that|this|the resulting|the new|the same)\s+(?:date|day)\b|\bits\s+(?!own\b)\w+",
                         re.I)


def refers_back(clause: str) -> bool:
    return bool(_BACK.search(clause) or _FACT_OF_IT.search(clause))


# "those two dates": a clause about several earlier results needs a call that takes them
_PLURAL = re.compile(r"\b(?:those|these|both)\b", re.I)


def uses_result(call, earlier) -> bool:
    """`call` passes a date or a number that `earlier` returned, the number maybe rounded to the
    decimals it is written with (2839 from 2839.058838 ml: int_to_roman takes a whole number)."""
    given, echoed = json.dumps(call.arguments), json.dumps(earlier.arguments)   # a result echoes its inputs
    if (set(stated_dates(given)) & set(stated_dates(earlier.observation))) - set(stated_dates(echoed)):
        return True
    inputs = {n for n, _ in numbers(undated(echoed))}
    results = [n for n, _ in numbers(undated(earlier.observation)) if n not in inputs]
    return any(abs(round(r, d) - x) < 1e-9 for x, d in numbers(undated(given)) for r in results)


_PRONOUN = re.compile(r"\b(?:that|this|it)\b", re.I)  # "multiply that by 86.5"


def takes_unasked(call, earlier, clause: str, earlier_clauses: str) -> bool:
    """`call` passes a value of a field of `earlier`'s result that was not asked for, and none that was:
    the field `clause` names ("convert the resulting percentage into a Roman numeral" took the change
    2117, not the percent 6829.03), else the one the clauses `earlier` served name ("the percentage
    increase from 3 to 3937, and then multiply that by 86.5" passed the change 3934) — both 1.5B callers."""
    wanted, other = asked_values(earlier.observation, earlier.arguments, clause)
    if not wanted:
        wanted, other = asked_values(earlier.observation, earlier.arguments, earlier_clauses)
    if not wanted:
        return False
    given = {json.dumps(plain_number(f(x))) for x, _ in numbers(undated(json.dumps(call.arguments)))
             for f in (lambda v: v, lambda v: round(v, 2))}
    # a date's parts are not a field's value taken by mistake (month_calendar's 2024 is the date's year,
    # not date_info's iso_year)
    parts = {json.dumps(int(p)) for d in stated_dates(json.dumps(earlier.arguments) + earlier.observation)
             for p in d.split("-")}
    return bool(given & (other - parts)) and not given & wanted


def qualifier_ignored(clause: str, call, description: str) -> bool:
    """The clause qualifies its count ("from 2024-02-27 to 2024-03-04, inclusive") but the call that
    serves it knows nothing of that: neither its tool's description nor its arguments say it
    ('inclusive, is 6 days' would state date_arithmetic's exclusive count). Only the qualifiers of a
    count: a later call can adjust a count (qualifiers.py)."""
    return bool(qualifiers.unknown(clause, description + " " + json.dumps(call.arguments), qualifiers.COUNTING))


def typed_values(text: str) -> tuple[set[str], set[str]]:
    """(dates, weekday names) a text states: values an answer must take from the results as they are."""
    dates = set(stated_dates(text))
    days = {w for w in re.findall(r"[a-z]+", text.lower()) if w in WEEKDAYS}
    return dates, days


__all__ = ["clauses", "coverage", "Coverage", "stated_values", "takes", "typed_values", "undated", "plain_number"]
