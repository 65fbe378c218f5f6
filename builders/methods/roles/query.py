"""Imagination: a user request that needs several calls of the episode's tools.

The hint says how the calls relate (one tool several times, tools in sequence, an environment's
methods on the same data); values drawn from the episode's seed are offered to build it around, so
episodes over the same tools ask different things (shown the group's earlier requests, or their values
to avoid, the 1.5B copied them). The earlier requests still reject a repeat (`query_repeated`).

A candidate request with a problem (`query_problems`) is sampled again, up to `candidates` times.
When the last one still has a problem of `ENDS`, the episode ends there, rejected for it: a request
that repeats an earlier one's values, copies a tool's documented example, hangs on a condition or
reads unnaturally makes a trajectory no one should train on, and running its planner and caller would
only cost time. The other problems are heuristics on values (an id such as kb-999 is no value they
see), so such a last candidate still runs and the trajectory's checks decide.
The 1.5B wrote "convert 12 cups to … Roman numerals" 14 times in one group of an 80-episode run,
and "5 days after February 27, 2024" (date_arithmetic's documented example) 9 times.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from builders.llm import Usage
from builders.methods.grounding import ground_value
from builders.methods.roles import prompts
from builders.methods.roles.needs import clauses, stated_texts, stated_values

QUERY_SCHEMA = {
    "type": "object",
    "properties": {"query": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9 ,.'?%/:()*+-]{15,239}$"}},
    "required": ["query"],
    "additionalProperties": False,
}


DEMO = [  # one worked example, over tools no recipe gives it, so copying it shows as a mismatch
    {"role": "user", "content": "Tools:\n- word_count(text: string): Count the words of a text.\n"
                                "- multiply(a: number, b: number): Multiply two numbers.\n\n"
                                "The request needs word_count, then multiply; a later call may use an earlier result. "
                                'Write one request a user could send.\nReply in JSON: {"query": "..."}'},
    {"role": "assistant", "content": '{"query": "How many words are in the sentence \'the cat sat on the mat\', '
                                     'and what is that count times 12?"}'},
]


DEMO_QUERY = json.loads(DEMO[1]["content"])["query"]


def task_hint(kind: str, tools, calls: int) -> str:
    names = [t.name for t in tools]
    if kind == "one_tool":
        return f"The request needs {names[0]} {calls} times, with different values."
    if kind == "environment":
        return f"The request needs {', then '.join(names)} on the same data."
    return f"The request needs {', then '.join(names)}; a later call may use an earlier result."


ENDS = ("query_unnatural", "query_conditional", "query_repeated", "query_copies_example")

# Values to build the request around, drawn from the episode's seed. Shown its group's earlier requests,
# the 1.5B wrote them again (3 candidates of 3; 9 of the first 13 episodes of a run rejected as
# query_repeated); shown only their values "to avoid", it used exactly those ("27 and 90", 3 of 3). Given
# values of its own, each episode's request differs; the tools' example calls stay the other source.
# (A "user situation" per episode, as persona-seeded generators use, led the 1.5B off its tools:
# prices, "2024-02-31", "excluding weekends" for date and Roman-numeral tools, 5 of 8 requests.)
def suggested_values(seed: int) -> list[str]:
    """Two whole numbers of different sizes, a decimal and a date, from the seed alone."""
    rng = random.Random(seed)
    day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(16 * 365))
    return [str(rng.randint(3, 60)), str(rng.randint(61, 3999)), f"{rng.randint(2, 99)}.{rng.randint(1, 9)}",
            day.isoformat()]


# Each re-sampled request is drawn this much hotter: with the same prompt the seeds alone gave the same one.
RETRY_WARMER = 0.25


def imagine_query(ctx, kind: str, tools, memory: list[str], seed: int, usage: Usage,
                  discarded: list | None = None) -> tuple[str | None, list[str]]:
    """The request (None when no reply parsed) and its problems ([] for a good one); discarded
    candidates go to `discarded`."""
    discarded = discarded if discarded is not None else []
    examples = prompts.example_calls(tools)
    prompt = (f"Tools:\n{prompts.briefs(tools)}\n"
              + (f"Example calls:\n" + "\n".join(examples) + "\n" if examples else "")
              + f"\n{task_hint(kind, tools, max(2, ctx.settings.get('min_calls', 2)))} "
              "Write one request a user could send. Give the concrete values (numbers, names, dates) in it, "
              f"not the example calls' values; use some of these where they fit: {', '.join(suggested_values(seed))}. "
              "Do not name the tools."
              '\nReply in JSON: {"query": "..."}')
    messages = [{"role": "system", "content": "You write realistic requests that users send to an assistant with tools."},
                *DEMO, {"role": "user", "content": prompt}]
    n = max(1, ctx.settings.get("candidates", 1))
    for i in range(n):  # best of n: the first request without problems, else the last one
        out = usage.add(ctx.engine.chat_json(messages, QUERY_SCHEMA, seed=seed + 7919 * i, pin=1 + len(DEMO),
                                             temperature=ctx.settings.get("temperature", 0.7) + RETRY_WARMER * i,
                                             max_tokens=ctx.settings.get("max_tokens", 160)))
        query = out.value.get("query", "").strip() if isinstance(out.value, dict) else ""
        calls = max(2, ctx.settings.get("min_calls", 2))
        problems = query_problems(query, tools, kind, calls, memory) if query else ["malformed_output"]
        if not problems or i == n - 1:
            return (query or None), problems
        discarded.append({"stage": "query", "text": query or out.text, "reasons": problems})
    return None, ["malformed_output"]


def values(text: str) -> frozenset[str]:
    """The dates, numbers and quoted texts a request states: what makes it this request."""
    dates, nums = stated_values(text)
    return frozenset([*dates, *(f"{v:g}" for v, _ in nums), *stated_texts(text)])


def repeats(query: str, memory: list[str]) -> bool:
    """The request states the same values as an earlier one of its group: the same request reworded."""
    mine = values(query)
    return bool(mine) and any(values(q) == mine for q in memory)


def _small(number: str) -> bool:
    return number.isdigit() and int(number) <= 12


def copies_example(query: str, tools) -> bool:
    """The request states a documented example call's date, or most of its numbers (two of two, two
    of three, as STE's check) and not only small whole ones ("add 2 and 3, multiply 4 by 5" shares
    the 4 and 3 of "(12.5 * 4) / 3" by chance): read off the prompt, not imagined."""
    dates, nums = stated_values(query)
    said = {f"{v:g}" for v, _ in nums}
    for tool in tools:
        for ex in tool.examples[:1]:
            args = ex.get("arguments") if isinstance(ex, dict) else None
            if not isinstance(args, dict):
                continue
            shown = " ".join(str(v) for v in args.values())
            ex_dates, ex_nums = stated_values(shown)
            ex_said = {f"{v:g}" for v, _ in ex_nums}
            shared = ex_said & said
            if ex_dates & dates or (len(ex_said) >= 2 and len(shared) >= max(2, -(-2 * len(ex_said) // 3))
                                    and not all(_small(v) for v in shared)):
                return True
    return False


def query_problems(query: str, tools, kind: str = "", calls: int = 2, memory: list[str] = ()) -> list[str]:
    """A request that is not natural, or that states no value for a required parameter of the first
    tool (later tools may take theirs from earlier results): its first call could only make one up.
    A one-tool request needs `calls` sub-requests that state their own values (needs.py): "the date 4
    days from 2024-01-05, and its weekday" is one call, which min_calls would reject after the episode.
    One that hangs on a condition (checks.query_conditional), repeats an earlier request of its group
    (`memory`) or copies a documented example call is not worth an episode either."""
    from builders.methods.roles.checks import conditional, unnatural  # checks imports this module's example

    problems = ["query_unnatural"] if unnatural(query, [t.name for t in tools]) else []
    if conditional(query):
        problems.append("query_conditional")
    if repeats(query, memory):
        problems.append("query_repeated")
    if copies_example(query, tools):
        problems.append("query_copies_example")
    props = tools[0].parameters.get("properties", {})
    if any(ground_value(n, props.get(n, {}), query) is None for n in tools[0].parameters.get("required", [])):
        problems.append("query_lacks_values")
    if kind == "one_tool" and sum(bool(any(stated_values(c)) or stated_texts(c)) for c in clauses(query)) < calls:
        problems.append("query_one_call")
    return problems
