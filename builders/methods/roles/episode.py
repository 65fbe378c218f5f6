"""One α-UMi episode: imagine a request over a group of tools, then planner → caller → observation
until the planner concludes (the summarizer answers) or gives up, within `max_steps` planner turns.

Every call runs in the sandbox through one `environment.Episode`, so a stateful environment's
methods share their instance for the whole episode. The record is complete when it leaves here:
generation failures are in `reasons`; the checks (checks.py) judge the rest.
"""

from __future__ import annotations

from dataclasses import replace

from builders import chat
from builders.llm import Usage
from builders.methods.base import Context, Unit
from builders.methods.roles import caller, planner, summarizer
from builders.methods.roles.needs import coverage
from builders.methods.roles.query import ENDS, imagine_query
from builders.methods.roles.records import Step, Trajectory
from builders.record import split_of
from builders.tools import environment


def trajectory_id(ctx: Context, unit: Unit) -> str:
    return f"{ctx.provenance.get('run_hash') or 'local'}-roles-{unit.key}"


def run_episode(ctx: Context, unit: Unit, memory: list[str], method: str = "roles") -> Trajectory:
    tools = [ctx.tools[name] for name in unit.data["tools"]]
    settings = ctx.settings
    max_steps, min_calls = settings.get("max_steps", 6), settings.get("min_calls", 2)
    usage, reasons, steps, discarded = Usage(), [], [], []
    final_answer, outcome = "", ""
    query, problems = imagine_query(ctx, unit.data["kind"], tools, memory, unit.seed, usage, discarded)
    if query is not None:
        memory.append(query)
    ends = [p for p in problems if p in ENDS or p == "malformed_output"]
    if query is None or ends:  # rejected at imagination: no planner or caller runs for it
        reasons.extend(ends or ["malformed_output"])
    else:
        calls = environment.Episode(ctx.sandbox)  # one environment instance per episode
        about = {t.name: t.description for t in tools}
        for i in range(max_steps):
            seed = unit.seed + 100 * (i + 1)
            needs = coverage(query, [s for s in steps if s.next == "caller"], about)
            choices = planner.options(steps, i, max_steps, min_calls, needs_met=needs.met_at is not None)
            planned = planner.plan(ctx, query, tools, steps, choices, seed, usage, needs.unserved)
            if planned is None:
                reasons.append("malformed_output")
                break
            thought, nxt = planned
            if nxt == "give up":
                thought = planner.give_up_thought(steps)
            if nxt != "caller":
                steps.append(Step(thought=thought, next=nxt))
                outcome = "conclusion" if nxt == "conclusion" else "give_up"
                break
            call = caller.choose_call(ctx, query, thought, tools, steps, seed + 1, usage, discarded)
            if call is None:
                reasons.append("malformed_output")
                break
            if caller.repeats(call, steps) and planner.may_conclude(steps, min_calls):
                # The planner asked again for a call already answered: its results were complete. The
                # step is cut (kept in `candidates`) and the planner re-asked, now to conclude.
                discarded.append({"stage": "planner", "text": thought, "reasons": ["repeated_call_cut"]})
                planned = planner.plan(ctx, query, tools, steps, ["conclusion"], seed + 50, usage)
                if planned is None:
                    reasons.append("malformed_output")
                    break
                steps.append(Step(thought=planned[0], next="conclusion"))
                outcome = "conclusion"
                break
            result = caller.execute(ctx, calls, call["name"], call["arguments"])
            steps.append(Step(thought=thought, next="caller", name=call["name"], arguments=call["arguments"], **result))
        if outcome == "conclusion":
            final_answer = summarizer.summarize(ctx, query, steps, unit.seed + 99, usage) or ""
            if not final_answer:
                reasons.append("malformed_output")
        elif outcome == "give_up":
            final_answer = planner.give_up_answer(steps)
    # a thought the length bound cut keeps its whole sentences: the rows teach those, not the fragment
    steps = [replace(s, thought=planner.whole_sentences(s.thought)) if s.next != "give up" else s for s in steps]
    tid = trajectory_id(ctx, unit)
    specs = [t.spec() for t in tools]
    return Trajectory(
        **ctx.stamp(unit, method), id=tid,
        split=split_of(unit.key, settings.get("test_fraction", 0.1)), reasons=reasons,
        kind=unit.data["kind"], tool_names=[t.name for t in tools], query=query or "", steps=steps,
        final_answer=final_answer, outcome=outcome, candidates=discarded, messages=chat_messages(tid, query, steps, final_answer, outcome),
        tools=[chat.tool_entry(s) for s in specs], prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens, llm_seconds=round(usage.seconds, 4))


def chat_messages(tid: str, query: str | None, steps: list[Step], final_answer: str, outcome: str) -> list[dict]:
    """The episode in the chat contract. A concluded episode keeps only the calls that ran (the
    training path); one that gave up keeps the failed calls too, as the reason it gave up."""
    if not query:
        return []
    messages = [chat.user(query)]
    for i, step in enumerate(steps):
        if step.next == "caller" and (step.status == "ok" or outcome == "give_up"):
            cid = chat.call_id(tid, i)
            messages += [chat.tool_call(cid, step.name, step.arguments), chat.tool_result(cid, step.name, step.observation)]
    if final_answer:
        messages.append(chat.assistant(final_answer))
    return messages
