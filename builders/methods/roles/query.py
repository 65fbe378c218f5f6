"""Imagination: a user request that needs several calls of the episode's tools.

The hint says how the calls relate (one tool several times, tools in sequence, an environment's
methods on the same data); the episode's earlier requests over the same tools are shown so the
next one differs (STE's short-term memory, here per tool group).
"""

from __future__ import annotations

import json

from builders.llm import Usage
from builders.methods.grounding import ground_value
from builders.methods.roles import prompts

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


def imagine_query(ctx, kind: str, tools, memory: list[str], seed: int, usage: Usage,
                  discarded: list | None = None) -> str | None:
    """The request, or None when the reply did not parse; discarded candidates go to `discarded`."""
    discarded = discarded if discarded is not None else []
    examples = prompts.example_calls(tools)
    seen = "".join(f"\n- {q}" for q in memory[-5:])
    prompt = (f"Tools:\n{prompts.briefs(tools)}\n"
              + (f"Example calls:\n" + "\n".join(examples) + "\n" if examples else "")
              + f"\n{task_hint(kind, tools, max(2, ctx.settings.get('min_calls', 2)))} "
              "Write one request a user could send. Give the concrete values (numbers, names, dates) in it. "
              "Do not name the tools."
              + (f"\nRequests already written (write a different one):{seen}" if memory else "")
              + '\nReply in JSON: {"query": "..."}')
    messages = [{"role": "system", "content": "You write realistic requests that users send to an assistant with tools."},
                *DEMO, {"role": "user", "content": prompt}]
    n = max(1, ctx.settings.get("candidates", 1))
    for i in range(n):  # best of n: the first request without problems, else the last one
        out = usage.add(ctx.engine.chat_json(messages, QUERY_SCHEMA, seed=seed + 7919 * i, pin=1 + len(DEMO),
                                             temperature=ctx.settings.get("temperature", 0.7),
                                             max_tokens=ctx.settings.get("max_tokens", 160)))
        query = out.value.get("query", "").strip() if isinstance(out.value, dict) else ""
        calls = max(2, ctx.settings.get("min_calls", 2))
        problems = query_problems(query, tools, kind, calls) if query else ["malformed_output"]
        if not problems or i == n - 1:
            return query or None
        discarded.append({"stage": "query", "text": query or out.text, "reasons": problems})


def query_problems(query: str, tools, kind: str = "", calls: int = 2) -> list[str]:
    """A request that is not natural, or that states no value for a required parameter of the first
    tool (later tools may take theirs from earlier results): its first call could only make one up.
    A one-tool request needs `calls` sub-requests that state their own values (needs.py): "the date 4
    days from 2024-01-05, and its weekday" is one call, which min_calls would reject after the episode."""
    from builders.methods.roles.checks import unnatural  # checks imports this module's worked example
    from builders.methods.roles.needs import clauses, stated_texts, stated_values

    problems = ["query_unnatural"] if unnatural(query, [t.name for t in tools]) else []
    props = tools[0].parameters.get("properties", {})
    if any(ground_value(n, props.get(n, {}), query) is None for n in tools[0].parameters.get("required", [])):
        problems.append("query_lacks_values")
    if kind == "one_tool" and sum(bool(any(stated_values(c)) or stated_texts(c)) for c in clauses(query)) < calls:
        problems.append("query_one_call")
    return problems
