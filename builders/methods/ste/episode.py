"""One STE episode: queries imagined in turn (the earlier ones are its short-term memory), each
explored by trial and error and answered. Returns finished Example records, judged later."""

from __future__ import annotations

from builders import chat
from builders.llm import Usage
from builders.methods.base import Context, Unit
from builders.methods.ste.answer import write_answer
from builders.methods.ste.query import imagine_query
from builders.methods.ste.records import Example
from builders.methods.ste.trial import choose_call, execute_call
from builders.record import Call
from builders.tools import environment
from builders.tools.spec import Tool


def companions(ctx: Context, tool: Tool) -> list[Tool]:
    """The other methods of a stateful environment: reading a file needs writing one first."""
    if not tool.environment:
        return []
    return [t for t in ctx.tools.values() if t.environment == tool.environment and t.name != tool.name]


def explore_query(ctx: Context, unit: Unit, query_index: int, memory: list[str],
                  calls: environment.Episode) -> Example:
    """One query of an episode, from imagination to answer."""
    tool = ctx.tools[unit.data["tool"]]
    usage = Usage()
    seed = unit.seed + 1000 * query_index
    offered = [tool, *companions(ctx, tool)]
    reasons: list[str] = []
    trials: list[Call] = []
    final_answer = ""
    query = imagine_query(ctx, tool, memory, seed, usage)
    if query is None:
        reasons.append("malformed_output")
    else:
        memory.append(query)
        for attempt in range(ctx.settings["max_calls_per_query"]):
            call = choose_call(ctx, offered, query, trials, seed + attempt + 1, usage)
            if call is None:
                reasons.append("malformed_output")
                break
            trials.append(execute_call(ctx, call, calls))
            if trials[-1].status == "ok":
                break
        if trials and trials[-1].status == "ok":
            final_answer = write_answer(ctx, query, trials[-1], seed + 99, usage)
        elif trials and not reasons:
            reasons.append(trials[-1].reason)
    last = trials[-1] if trials and trials[-1].status == "ok" else None
    row_id = f"{ctx.provenance.get('run_hash', 'local')}-{unit.key}-{query_index}"
    return Example(
        id=row_id, **ctx.stamp(unit, "ste"), reasons=reasons,
        tool_name=tool.name, tool_version=tool.version, episode=unit.data["episode"], query_index=query_index,
        query=query or "", action=last.name if last else "", action_input=last.arguments if last else {},
        observation=last.observation if last else "", final_answer=final_answer,
        messages=messages_of(row_id, query or "", last, final_answer),
        tools=[chat.tool_entry(t.spec()) for t in offered], trials=trials,
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
        llm_seconds=round(usage.seconds, 4),
    )


def messages_of(row_id: str, query: str, call: Call | None, answer: str) -> list[dict]:
    """The example in the chat contract: query → successful call → its result → answer."""
    if not query:
        return []
    messages = [chat.user(query)]
    if call is not None:
        cid = chat.call_id(row_id, 0)
        messages += [chat.tool_call(cid, call.name, call.arguments), chat.tool_result(cid, call.name, call.observation)]
        if answer:
            messages.append(chat.assistant(answer))
    return messages


def run_episode(ctx: Context, unit: Unit) -> list[Example]:
    memory: list[str] = []  # short-term memory: this episode's queries
    calls = environment.Episode(ctx.sandbox)  # stateful environments live as long as the episode
    return [explore_query(ctx, unit, q, memory, calls) for q in range(ctx.settings["queries_per_episode"])]
