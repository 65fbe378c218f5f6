"""The planner: a short rationale for the next step, and who acts next — caller, conclusion or give up.

The choices offered are narrowed by the grammar to those that make sense now, so even a tiny model
produces a well-formed episode: the first step always calls; conclusion needs a last call that
succeeded (and `min_calls` successful calls before the step limit); give up is offered only after a
failed call; at the last step the planner must conclude or give up; once the request's needs are
met it must conclude (a trajectory that met them in fewer than `min_calls` calls is then rejected as
too_few_calls instead of being padded with calls nobody asked for).
"""

from __future__ import annotations

import re

from builders.llm import Usage
from builders.methods.roles import prompts
from builders.methods.roles.records import Step

GUIDE = {"caller": "caller = make the next tool call", "conclusion": "conclusion = the results answer the request",
         "give up": "give up = the tools cannot do it"}


def options(steps: list[Step], step: int, max_steps: int, min_calls: int, needs_met: bool = False) -> list[str]:
    """`needs_met`: every sub-request is served (needs.py); the planner must conclude, as any further
    call is one nobody asked for (it would be rejected as call_after_needs_met, so it is not made)."""
    calls = [s for s in steps if s.next == "caller"]
    if not calls:
        return ["caller"]
    last_ok = calls[-1].status == "ok"
    if needs_met and last_ok:
        return ["conclusion"]
    if step >= max_steps - 1:
        return ["conclusion"] if last_ok else ["give up"]
    ok = sum(s.status == "ok" for s in calls)
    return ["caller"] + (["conclusion"] if last_ok and ok >= min_calls else []) + ([] if last_ok else ["give up"])


def may_conclude(steps: list[Step], min_calls: int) -> bool:
    """The last call succeeded and at least `min_calls` calls did."""
    calls = [s for s in steps if s.next == "caller"]
    return bool(calls) and calls[-1].status == "ok" and sum(s.status == "ok" for s in calls) >= min_calls


# One plain sentence: a bounded length keeps the reply inside the token limit (an unbounded thought
# was cut off and did not parse), and no braces, quotes or underscores keep JSON and tool ids out.
# It ends in a full stop: at 150 characters with no end the 1.5B's thoughts were cut mid-sentence
# ("…which was calculated to be"), and a cut thought is a planner target (checks.thoughts rejects it).
THOUGHT_CHARS = 200
THOUGHT = {"type": "string", "pattern": r'^[A-Z][^{}\[\]<>_=|\\"`\n]{9,%d}[.]$' % (THOUGHT_CHARS - 2)}


# the last word of a sentence the grammar closed mid-way ("…is also the.", "…in the opposite (.")
_DANGLING = set("a an the to of and or but with for in on at by from as into than which who "
                "is are was be will would can we i its their our your my if".split())


def forced_stop(thought: str) -> bool:
    """The thought reached the grammar's length bound, which then closed it with a full stop: it
    ends on a word that cannot end a sentence, on an open bracket or a comma, or at the bound itself."""
    body = thought.rstrip()[:-1].rstrip()
    last = re.findall(r"[A-Za-z']+$", body)
    return (len(thought.strip()) >= THOUGHT_CHARS or body.endswith(("(", ",", ":", ";", "-"))
            or bool(last) and last[0].lower() in _DANGLING)


def whole_sentences(thought: str) -> str:
    """A thought the bound closed mid-sentence, cut back to the whole sentences before the fragment
    ("… to the nearest whole number. This ." → "… to the nearest whole number."); the 1.5B writes
    two or three sentences and the bound cuts the last. A single cut sentence stays as it is (and is
    rejected as thought_cut): there is nothing whole to keep."""
    if not forced_stop(thought):
        return thought
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", thought.strip())
    kept = " ".join(sentences[:-1])
    return kept if len(sentences) > 1 and len(kept) >= 10 else thought


def give_up_thought(steps: list[Step]) -> str:
    """The planner's give-up in plain words: which tool failed, how often in a row, its last error, and
    that the request cannot be served. The model's own sentence ("I cannot do this") teaches the
    planner nothing about when to give up, so the give-up turn is written from the failures."""
    calls = [s for s in steps if s.next == "caller"]
    failed = [s for s in calls if s.status != "ok"]
    if not failed:
        return "No call has failed, but the tools cannot serve this request, so I give up."
    streak = next((i for i, s in enumerate(reversed(calls)) if s.status == "ok"), len(calls))
    last = failed[-1]
    why = " ".join(last.observation.split())[:120] or last.reason or last.status
    times = {1: "once", 2: "twice"}.get(streak, f"{streak} times")
    return (f"The call to {last.name} failed {times} in a row (last error: {why}), so the tools cannot "
            f"serve this request and I give up.")


def give_up_answer(steps: list[Step]) -> str:
    """What the user is told when the planner gives up: the request could not be done, and why."""
    failed = [s for s in steps if s.next == "caller" and s.status != "ok"]
    if not failed:
        return "Sorry, I could not complete this request with the available tools."
    why = " ".join(failed[-1].observation.split())[:120] or failed[-1].reason
    return f"Sorry, I could not complete this request: {failed[-1].name} failed ({why})."


def plan_schema(choices: list[str]) -> dict:
    return {"type": "object",
            "properties": {"thought": THOUGHT, "next": {"enum": choices}},
            "required": ["thought", "next"], "additionalProperties": False}


def plan(ctx, query: str, tools, steps: list[Step], choices: list[str], seed: int,
         usage: Usage, pending: list[str] | None = None) -> tuple[str, str] | None:
    """(thought, next), or None when the output did not parse. `pending`: the parts of the request
    no call has served yet (needs.py), shown so the next call serves one of them; without that list
    the 1.5B planner converted results back (°C → °F → °C), repeated calls and left parts unserved."""
    todo = ("Parts of the request still to do:\n" + "\n".join(f"- {c}" for c in pending) + "\n\n"
            if pending and "caller" in choices else "")
    prompt = (f"Tools:\n{prompts.briefs(tools)}\n\nRequest: {query}\n\nCalls so far:\n{prompts.results(steps)}\n\n"
              + todo
              + ("The results answer every part of the request. Write one sentence saying what they found. "
                 if choices == ["conclusion"] and steps and steps[-1].status == "ok" else "")
              + "Write your thought about the next step in one sentence. Then choose next: "
              + "; ".join(GUIDE[c] for c in choices)
              + f'.\nReply in JSON: {{"thought": "...", "next": "{choices[0]}"}}')
    messages = [{"role": "system", "content": "You plan how to answer a request with tools, one step at a time."},
                {"role": "user", "content": prompt}]
    out = usage.add(ctx.engine.chat_json(messages, plan_schema(choices), seed=seed,
                                         temperature=ctx.settings.get("temperature", 0.7),
                                         max_tokens=ctx.settings.get("max_tokens", 160)))
    value = out.value if isinstance(out.value, dict) else {}
    thought, nxt = str(value.get("thought", "")).strip(), value.get("next")
    if not thought or nxt not in choices:
        return None
    return thought, nxt
