"""Imagination: the model reads a tool's documentation and imagines a specific, realistic user query
that one call can serve — not naming the tool, not pasting its documentation, not solving it.

The grammar fixes the query's shape, which a 135M model does not keep by itself: a request's opening
word, then 4-30 more words separated by single spaces — words of letters and plain punctuation, or plain
numbers (42, 26.2, 1,500) and ISO dates — no
braces, brackets, quotes, underscores, '=' or ':' (so no code, JSON, identifier or URL) — ending with
? or . Worked exchanges for other tools show the model what a request looks like.
"""

from __future__ import annotations

import json
import re

from builders.llm import Completion, Usage
from builders.methods import grounding  # a module: grounding imports STE's checks
from builders.methods.ste.checks import copies_doc, copies_example, names_tool, query_problem
from builders.methods.ste.settings import explore
from builders.tools.spec import Tool

CHARS = r"[A-Za-z0-9,.'%$!/&+-]"
OPENINGS = "What|How|Which|When|Where|Who|Can|Could|Please|Find|Calculate|Convert|Tell|Show|Give|Is|Does|I"
NUMBER = r"[0-9]{1,6}([.,][0-9]{1,3})?"                 # 42, 26.2, 1,500 — not 30.21.20.2008
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
WORD = rf"([A-Za-z/][A-Za-z',.%$!/&+-]{{0,23}}|[$]?{NUMBER}[a-z%]{{0,3}}[,.]?|{DATE}[,.]?)"
QUERY_PATTERN = rf"^({OPENINGS})( {WORD}){{4,30}}[?.]$"
# Room for a long request: at 12 words before the number the 1.5B glued words to fit ('for a measurement
# inimperial, 1 foot equals …'); max_tokens and the repetition check bound a rambling one.
NUMBERED_PATTERN = rf"^({OPENINGS})( {WORD}){{1,20}} ({NUMBER}|{DATE})[,]?( {WORD}){{1,20}}[?.]$"
QUERY_FIELD = {"type": "string", "pattern": QUERY_PATTERN}
QUERY_SCHEMA = {"type": "object", "properties": {"query": QUERY_FIELD}, "required": ["query"],
                "additionalProperties": False}
NUMBERED_SCHEMA = {"type": "object", "properties": {"query": {"type": "string", "pattern": NUMBERED_PATTERN}},
                   "required": ["query"], "additionalProperties": False}
_NUMERIC_NAME = re.compile(r"date|start|end|year|month|expression|number|amount|value|weight|price|rate|principal",
                           re.I)


def needs_number(tool: Tool) -> bool:
    """Does a call of the tool need a value written with digits (a number, a date, an expression)?
    Then the query's grammar demands one: a small model otherwise asks about 'the input'."""
    props = tool.parameters.get("properties", {})
    for name in tool.parameters.get("required", []):
        spec = props.get(name, {})
        if spec.get("type") in ("number", "integer") or (spec.get("type") == "string" and _NUMERIC_NAME.search(name)):
            return True
    return False


def query_schema(tool: Tool) -> dict:
    return NUMBERED_SCHEMA if needs_number(tool) else QUERY_SCHEMA

# The prompt is short and made of worked exchanges: a 135M model imitates the words of its prompt, and
# given the tool's documentation and instructions about "the user" and "the tool" it asks about users
# and tools ("What does the user need to know to understand the tool?"). Shown a task in a few words and
# the values it needs, after five worked exchanges, it writes a request (measured: docs/methods/ste.md).
SYSTEM = ("You write questions that people ask a helpful assistant. Each question is specific and gives "
          "every value it needs.")
INSTRUCTIONS = 'Write a new question of this kind. Reply in JSON: {"query": "..."}'
# Worked exchanges for made-up tasks: (task, values, request).
# No task is near a built-in tool's: with a flight-time exchange, the 1.5B asked city_distance for
# flight times (6 of the 15 city_distance queries rejected in one run), which a distance does not answer.
SHOTS = [
    ("Convert an amount of money between currencies.", "amount, from currency, to currency",
     "How much is 250 US dollars in euros today?"),
    ("Look up the meaning of an English word.", "word", "What does the word ephemeral mean?"),
    ("Find when a museum opens on a given day.", "museum (e.g. the Prado), day of the week",
     "When does the Prado Museum open on Sundays?"),
    ("Compute the body mass index from a weight and a height.", "weight in kg, height in cm",
     "I weigh 72 kg and I am 180 cm tall. What is my body mass index?"),
    ("Count the words of a text.", "text", "How many words are in the sentence the cat sat on the mat?"),
]


PINNED = 1 + 2 * len(SHOTS)  # the system message and the worked exchanges: the same for every tool


def shots(tool: Tool, seed: int) -> list[dict]:
    """Every worked exchange, in an order that varies with the seed (the last one weighs most)."""
    start = seed % len(SHOTS)
    out = []
    for task, values, query in (SHOTS + SHOTS)[start:start + len(SHOTS)]:
        out += [{"role": "user", "content": f"Task: {task}\nValues: {values}"},
                {"role": "assistant", "content": json.dumps({"query": query})}]
    return out


def values(tool: Tool) -> str:
    """The values a call needs, in words, with the documentation's example where it gives one:
    'from city (e.g. "Paris"), to city (e.g. "Tokyo")'."""
    props = tool.parameters.get("properties", {})
    names = tool.parameters.get("required") or list(props)
    out = []
    for name in names:
        spec = props.get(name, {})
        example = re.search(r"e\.g\. ([^;)]{1,30})", spec.get("description", ""))
        out.append(name.replace("_", " ") + (f" (e.g. {example.group(1).strip().rstrip(',.')})" if example else ""))
    return ", ".join(out) or "none"


def task(tool: Tool) -> str:
    """The tool's purpose in its documentation's first sentence, without its name. A stateful
    environment's tool keeps all of it: what the environment holds ('The file system starts with
    /notes/todo.txt, …') is what a request can name; shown the first sentence alone, the 1.5B asked
    to read files that do not exist (/notes/important.txt, /family: 17 of its 21 read_file rows in one run)."""
    if tool.environment:
        return " ".join(tool.description.split())
    return tool.description.split(". ")[0].strip().rstrip(".") + "."


def imagination_prompt(tool: Tool, long_term: list[str], episode_so_far: str, seed: int = 0,
                       offered: list[Tool] | None = None) -> list[dict]:
    parts = [f"Task: {task(tool)}\nValues: {values(tool)}"]
    if long_term:
        parts.append("Queries explored in earlier episodes, and whether they were solved:\n" + "\n".join(long_term)
                     + "\nExplore new uses of the tool: write a query unlike these.")
    if episode_so_far:
        parts.append("This conversation so far:\n" + episode_so_far
                     + "\nWrite the user's next request; it may build on the conversation.")
    if len(parts) > 1:
        parts.append(INSTRUCTIONS)
    return [{"role": "system", "content": SYSTEM}, *shots(tool, seed), {"role": "user", "content": "\n\n".join(parts)}]


def query_problems(query: str, finish: str, tool: Tool, offered: list[Tool]) -> list[str]:
    """Why a candidate query would make an invalid row: the row checks on queries, and a query that
    states no value for a required parameter (its call could only make one up)."""
    entries = [t.spec() for t in offered]
    problems = [p for p in (query_problem(query, finish), "query_names_tool" if names_tool(query, entries) else None,
                            "query_copies_doc" if copies_doc(query, entries) else None,
                            "query_copies_example" if copies_example(query, entries) else None) if p]
    props = tool.parameters.get("properties", {})
    if any(grounding.ground_value(n, props.get(n, {}), query) is None for n in tool.parameters.get("required", [])):
        problems.append("query_lacks_values")
    return problems


def imagine_query(ctx, tool: Tool, long_term: list[str], episode_so_far: str, seed: int,
                  usage: Usage, offered: list[Tool] | None = None) -> tuple[str | None, Completion, list[dict]]:
    """A concrete user request this tool can serve, the completion it came from (finish_reason), and
    the candidates sampled before it that were discarded, with why. Best of n (`candidates`): up to n
    queries are sampled and the first without problems is kept; else the last one."""
    offered = offered or [tool]
    messages = imagination_prompt(tool, long_term, episode_so_far, seed, offered)
    discarded: list[dict] = []
    n = max(1, ctx.settings.get("candidates", 1))
    for i in range(n):
        out = usage.add(ctx.engine.chat_json(messages, query_schema(tool), seed=seed + 7919 * i, pin=PINNED,
                                             **explore(ctx)))
        query = (out.value.get("query", "") if isinstance(out.value, dict) else "").strip()
        problems = query_problems(query, out.finish_reason, tool, offered) if query else ["malformed_output"]
        if not problems or i == n - 1:
            return (query or None), out, discarded
        discarded.append({"stage": "query", "text": query or out.text, "reasons": problems})
