"""What an α-UMi trajectory must pass to be kept, each failure a reason code.

    query_unnatural      the request is code, JSON, a URL, a bare number, names a tool, or copies the worked example
    call_not_executed    a call has no execution status or observation
    unfinished           the episode ended without conclusion or give up
    too_few_calls        concluded with fewer successful calls than `min_calls`
    last_call_failed     concluded right after a failed call
    give_up_unjustified  gave up although the last `give_up_after` calls did not all fail
    repeated_call        the same successful call twice (a loop, not a plan)
    argument_unfounded   a call's value is in neither the request nor an earlier result
    empty_answer / answer_degenerate / answer_recites_call / answer_unfaithful / answer_ungrounded
    thought_degenerate   a planner turn without a usable rationale
    role_format          a role row breaks α-UMi's format (invariants.py)

`argument_unfounded` is how "later calls use earlier results where the query needs it" is checked:
every number a call passes (and every short plain-word string) must be stated in the request or
returned by an earlier call. A value the request does not state can only come, legitimately, from an
earlier result; one found in neither was invented. Small integers (≤ 10: counts, flags, indexes),
enum values and booleans are the tool's own options and are exempt.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher

from builders.methods.roles.invariants import row_problems
from builders.methods.roles.query import DEMO_QUERY
from builders.methods.roles.records import RoleRow, Trajectory

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z ]{2,40}$")


def numbers(text: str) -> list[tuple[float, int]]:
    """Unsigned numbers in text with their decimals ('1,234.50' → (1234.5, 2)); dates give their parts."""
    out = []
    for token in _NUMBER.findall(_GROUPED.sub("", text)):
        out.append((float(token), len(token.split(".")[1]) if "." in token else 0))
    return out


def same_number(claimed: tuple[float, int], source: tuple[float, int]) -> bool:
    """The claimed number is the source's, or the source rounded to the claimed number's decimals
    (3.11 for 3.106856; never 3.2 for 3)."""
    (x, dx), (y, _) = claimed, source
    return abs(x - y) <= 1e-9 * max(1.0, abs(y)) or round(y, dx) == x


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


def _leaves(value, schema: dict | None = None):
    """(leaf, its schema) for every scalar in a call's arguments."""
    schema = schema or {}
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for k, v in value.items():
            yield from _leaves(v, props.get(k) or {})
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, schema.get("items") or {})
    else:
        yield value, schema


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
    """Giving up is right when the tools really failed: the last `give_up_after` calls all failed."""
    if t.outcome != "give_up":
        return None
    n = _settings(t).get("give_up_after", 2)
    calls = _calls(t)
    return None if len(calls) >= n and all(s.status != "ok" for s in calls[-n:]) else "give_up_unjustified"


def no_repeats(t: Trajectory) -> str | None:
    seen = set()
    for s in _calls(t):
        if s.status == "ok":
            key = (s.name, json.dumps(s.arguments, sort_keys=True))
            if key in seen:
                return "repeated_call"
            seen.add(key)
    return None


def arguments_founded(t: Trajectory) -> str | None:
    """Every value of every successful call is in the request or an earlier result (see module doc)."""
    params = {e["function"]["name"]: e["function"].get("parameters") or {} for e in t.tools}
    known_numbers, known_text = numbers(t.query), t.query.lower()
    for s in t.steps:
        if s.next != "caller":
            continue
        if s.status == "ok":
            for leaf, schema in _leaves(s.arguments, params.get(s.name)):
                if isinstance(leaf, bool) or leaf is None or "enum" in schema or "const" in schema:
                    continue
                if isinstance(leaf, (int, float)):
                    if not (float(leaf).is_integer() and 0 <= leaf <= 10) and not stated((float(leaf), _decimals(leaf)), known_numbers):
                        return "argument_unfounded"
                elif isinstance(leaf, str):
                    if any(not (v.is_integer() and v <= 10) and not stated((v, d), known_numbers) for v, d in numbers(leaf)):
                        return "argument_unfounded"
                    if _WORDS.match(leaf.strip()) and leaf.strip().lower() not in known_text:
                        return "argument_unfounded"
        known_numbers += numbers(s.observation)
        known_text += "\n" + s.observation.lower()
    return None


def _decimals(x) -> int:
    text = repr(float(x))
    return 0 if float(x).is_integer() else len(text.split(".")[1]) if "e" not in text else 6


def thoughts(t: Trajectory) -> str | None:
    for s in t.steps:
        words = s.thought.split()
        if len(words) < 3 or s.thought.lstrip().startswith(("{", "[")) or len(set(words)) < len(words) / 3:
            return "thought_degenerate"
    return None


def degenerate(text: str) -> bool:
    words = text.split()
    if len(words) < 3 or not re.search(r"[A-Za-z]{3}", text):
        return True
    grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    return len(grams) >= 6 and len(set(grams)) < len(grams) / 2


def answer(t: Trajectory) -> str | None:
    """The answer states results in words, faithfully: no number that is in neither the observations,
    the request nor the calls; when the results carry numbers, at least one of them, unless the
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
    if any(not stated(n, sources) for n in said):
        return "answer_unfaithful"
    quoted = any(v in text.lower() for s in ok for v in text_values(s.observation))
    if observed and not quoted and not any(stated(n, observed) for n in said):
        return "answer_ungrounded"
    return None


def role_format(row: RoleRow) -> str | None:
    return "role_format" if row_problems(row.umi(), row.role, row.tools) else None
