"""STE's validity checks: each takes an Example and returns a reason code or None."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from builders.methods.base import Check
from builders.methods.ste.records import Example

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*(?:\.\d+)?")
COPY_CHARS = 32


def _numbers(text: str) -> list[tuple[float, int]]:
    """Numbers in text with their count of decimals ('1,234.50' → (1234.5, 2))."""
    found = []
    for token in _NUMBER.findall(text):
        plain = token.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", token) else token.replace(",", ".")
        try:
            value = float(plain)
        except ValueError:
            continue
        decimals = len(plain.split(".")[1]) if "." in plain else 0
        found.append((value, decimals))
    return found


def grounded(answer: str, observation: str) -> bool:
    """Does the answer state at least one number of the observation (allowing rounding)?

    A tool result that carries numbers is the point of the call; an answer that states none of
    them was not written from it. Observations without numbers pass.
    """
    observed = [v for v, _ in _numbers(observation)]
    if not observed:
        return True
    for value, decimals in _numbers(answer):
        for o in observed:
            if round(o, decimals) == value or abs(o - value) <= 1e-9 * max(1.0, abs(o)):
                return True
    return False


def copies_doc(query: str, tools: list[dict]) -> bool:
    """A user does not write the tool's identifier or paste its documentation: an imagined query
    that does was made from the prompt, not imagined, and teaches nothing."""
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


def _copies_doc(ex: Example):
    return "query_copies_doc" if ex.query and copies_doc(ex.query, ex.tools) else None


def _empty_answer(ex: Example):
    return "empty_answer" if ex.action and not ex.final_answer.strip() else None


def _ungrounded(ex: Example):
    if ex.final_answer.strip() and not grounded(ex.final_answer, ex.observation):
        return "answer_ungrounded"
    return None


CHECKS = (
    Check("query_copies_doc", _copies_doc, (Example,)),
    Check("empty_answer", _empty_answer, (Example,)),
    Check("answer_ungrounded", _ungrounded, (Example,)),
)
