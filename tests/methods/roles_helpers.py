"""Shared pieces of the α-UMi tests: a context over the real sandbox, and the judge as the pipeline runs it."""

from __future__ import annotations

from builders.methods.base import Context, Unit
from builders.methods.roles import Roles
from builders.record import schema_problems


def context(llm, sandbox, tools, **settings) -> Context:
    settings = {"candidates": 1, **settings}  # one reply per scripted call; best of n has its own tests
    return Context(engine=llm, sandbox=sandbox, tools=dict(tools), settings=Roles().settings(settings),
                   provenance={"run_hash": "test", "recipe": "roles-test", "model": "scripted"})


def unit(kind: str, names: list[str], key: str = "0", seed: int = 7) -> Unit:
    return Unit(key=key, group=f"{kind}:{'+'.join(names)}", seed=seed, data={"kind": kind, "tools": names})


def judged(record):
    """Every applicable check of the method, then the record's JSON Schema (what the judge does)."""
    reasons = list(record.reasons)
    for check in Roles.checks:
        if check.applies(record):
            reason = check.fn(record)
            if reason:
                reasons.append(reason)
    record = record.with_verdict(reasons)
    problems = schema_problems(record)
    assert not problems, problems
    return record
