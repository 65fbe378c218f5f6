"""The judge: a record passes a list of small checks, each returning a reason code or None.

Generic checks hold for every record kind: the record matches its kind's JSON Schema (derived from
its dataclass), every call in its training messages really ran and succeeded, and its chat form
keeps the chat contract (builders/chat.py). Each method adds
its own (builders/methods/*/checks.py). A rejected record keeps every reason it collected, those met
while it was generated and those found here; nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from builders.chat import validate_messages
from builders.record import Record, schema_problems


@dataclass(frozen=True)
class Check:
    """One validity check: `fn(record)` returns a reason code, or None when the record passes.
    `kinds` limits it to some record kinds (None: every kind)."""
    name: str
    fn: Callable[[Record], str | None]
    kinds: tuple = ()

    def applies(self, record: Record) -> bool:
        return not self.kinds or isinstance(record, self.kinds)


def _call_failed(record: Record) -> str | None:
    for call in record.path_calls():
        if call.status != "ok":
            return call.reason or "execution_error"
    return None


def _chat_contract(record: Record) -> str | None:
    form = record.chat()
    return "chat_contract" if form is not None and validate_messages(*form, open_call=record.open_call) else None


GENERIC = (Check("call_failed", _call_failed), Check("chat_contract", _chat_contract))


def judge(record: Record, checks=()) -> Record:
    """A new record with the verdict: accepted only when no reason was found."""
    reasons = list(record.reasons)
    for check in (*GENERIC, *checks):
        if check.applies(record):
            reason = check.fn(record)
            if reason and reason not in reasons:
                reasons.append(reason)
    verdict = record.with_verdict(reasons)
    problems = schema_problems(verdict)  # also holds an accepted record to what acceptance means
    if problems:
        verdict = record.with_verdict(reasons + ["schema_invalid"], "; ".join(problems)[:2000])
    return verdict
