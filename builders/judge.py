"""Validity checks over finished trajectories, each failure a reason code.

A trajectory is kept only if its call was schema-valid and ran successfully (checked as it was
made, in ste.py), its answer is non-empty and grounded in the observation, and the record
matches schemas/trajectory.schema.json. Nothing is dropped: rejected trajectories keep their
reasons and go to the `rejected` config.

Reason codes: malformed_output, unknown_tool, missing_required, wrong_type, enum_violation,
unexpected_argument, invalid_arguments, execution_error, timeout, cpu_limit, memory_limit,
output_limit, forbidden, crashed, query_copies_doc, empty_answer, answer_ungrounded, schema_invalid.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from functools import lru_cache

import jsonschema

import schemas

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*(?:\.\d+)?")


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


COPY_CHARS = 32


def copies_doc(query: str, tools_json: str) -> bool:
    """A user does not write the tool's identifier or paste its documentation: an imagined query
    that does was made from the prompt, not imagined, and teaches nothing."""
    q = query.lower()
    try:
        specs = json.loads(tools_json or "[]")
    except ValueError:
        return False
    for spec in specs:
        name, doc = spec.get("name", ""), spec.get("description", "").lower()
        if "_" in name and name.lower() in q:
            return True
        match = SequenceMatcher(None, q, doc, autojunk=False).find_longest_match(0, len(q), 0, len(doc))
        if match.size >= COPY_CHARS:
            return True
    return False


@lru_cache(maxsize=1)
def _validator():
    return jsonschema.Draft202012Validator(schemas.load("trajectory"))


def schema_problems(traj: dict) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in _validator().iter_errors(traj)]


def judge(traj: dict) -> dict:
    """Set `accepted` and `reasons` in place; returns the trajectory."""
    reasons = list(traj.get("reasons") or [])
    if traj.get("query") and copies_doc(traj["query"], traj.get("tools", "")):
        reasons.append("query_copies_doc")
    if not reasons:
        if not traj.get("final_answer", "").strip():
            reasons.append("empty_answer")
        elif not grounded(traj["final_answer"], traj.get("observation", "")):
            reasons.append("answer_ungrounded")
    traj["reasons"] = reasons
    traj["accepted"] = not reasons
    problems = schema_problems(traj)  # also holds an accepted record to what acceptance means
    if problems:
        traj["reasons"] = reasons + ["schema_invalid"]
        traj["accepted"] = False
        traj["detail"] = "; ".join(problems)[:2000]
    return traj
