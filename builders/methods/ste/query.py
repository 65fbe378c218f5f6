"""Imagination: the model reads a tool's documentation and imagines a specific, realistic user query
that one call can serve — not naming the tool, not pasting its documentation, not solving it.

The grammar fixes the query's shape, which a 135M model does not keep by itself: a request's opening
word, then 4-22 more words separated by single spaces — words of letters and plain punctuation, or plain
numbers (42, 26.2, 1,500) and ISO dates — no
braces, brackets, quotes, underscores, '=' or ':' (so no code, JSON, identifier or URL) — ending with
? or . Worked exchanges for other tools show the model what a request looks like.
"""

from __future__ import annotations

import json
import re

from builders.llm import Completion, Usage
from builders.methods.ste import preamble
from builders.methods.ste.settings import explore
from builders.tools.spec import Tool

CHARS = r"[A-Za-z0-9,.'%$!/&+-]"
OPENINGS = "What|How|Which|When|Where|Who|Can|Could|Please|Find|Calculate|Convert|Tell|Show|Give|Is|Does|I"
NUMBER = r"[0-9]{1,6}([.,][0-9]{1,3})?"                 # 42, 26.2, 1,500 — not 30.21.20.2008
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
WORD = rf"([A-Za-z/][A-Za-z',.%$!/&+-]{{0,23}}|[$]?{NUMBER}[a-z%]{{0,3}}[,.]?|{DATE}[,.]?)"
QUERY_PATTERN = rf"^({OPENINGS})( {WORD}){{4,22}}[?.]$"
NUMBERED_PATTERN = rf"^({OPENINGS})( {WORD}){{1,12}} ({NUMBER}|{DATE})[,]?( {WORD}){{1,12}}[?.]$"
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

SYSTEM = ("You explore a tool to learn how to use it. You imagine what real users would ask an assistant "
          "that has this tool.")
INSTRUCTIONS = (
    "Imagine one specific, realistic request a user would type, that ONE call of this tool can answer. "
    "Write it as the user, in plain English, with every value the call needs (numbers, names, dates). "
    "Do not name the tool; no code, no JSON. Do not answer it. "
    'Reply in JSON: {"query": "..."}'
)
# Worked exchanges for made-up tools; two are shown, never one for a tool of the same name.
SHOTS = [
    ("currency_convert: Convert an amount of money between currencies at today's rate.\n"
     "It needs: amount (number), from (currency), to (currency).",
     "How much is 250 US dollars in euros today?"),
    ("word_definition: Look up the meaning of an English word.\nIt needs: word (string).",
     "What does the word ephemeral mean?"),
    ("flight_time: Estimate the flight time between two airports.\n"
     "It needs: origin (city), destination (city).",
     "How long is a flight from Lisbon to Oslo?"),
    ("bmi: Compute the body mass index from a weight in kg and a height in cm.\n"
     "It needs: weight_kg (number), height_cm (number).",
     "I weigh 72 kg and I am 180 cm tall. What is my body mass index?"),
]


def shots(tool: Tool, seed: int) -> list[dict]:
    picked = [s for s in SHOTS if not s[0].startswith(tool.name + ":")]
    start = seed % len(picked)
    out = []
    for doc, query in (picked + picked)[start:start + 2]:
        out += [{"role": "user", "content": f"Tool documentation:\n{doc}\n\n{INSTRUCTIONS}"},
                {"role": "assistant", "content": json.dumps({"query": query})}]
    return out


def few_shot(tool: Tool) -> str:
    """The tool's own examples (arguments → result): realistic values, from the tool's author."""
    shown = [f"- arguments {json.dumps(e.get('arguments'))} gave {json.dumps(e.get('result'))}"
             for e in tool.examples[:2] if isinstance(e, dict)]
    return "Example calls:\n" + "\n".join(shown) + "\n" if shown else ""


def brief(tool: Tool) -> str:
    """The tool in a few words: a small model reads a JSON Schema as something to ask about."""
    props = tool.parameters.get("properties", {})
    needs = ", ".join(f"{k} ({v.get('description') or v.get('type', 'value')})"[:80] for k, v in props.items())
    return f"{tool.name}: {tool.description.split('. ')[0].rstrip('.')}.\nIt needs: {needs}."


def imagination_prompt(tool: Tool, long_term: list[str], episode_so_far: str, seed: int = 0,
                       offered: list[Tool] | None = None) -> list[dict]:
    parts = [SYSTEM, f"Tool documentation:\n{brief(tool)}\n{few_shot(tool)}"]
    if long_term:
        parts.append("Queries explored in earlier episodes, and whether they were solved:\n" + "\n".join(long_term)
                     + "\nExplore new uses of the tool: write a query unlike these.")
    if episode_so_far:
        parts.append("This conversation so far:\n" + episode_so_far
                     + "\nWrite the user's next request; it may build on the conversation.")
    parts.append(INSTRUCTIONS)
    return [preamble.system(offered or [tool]), *shots(tool, seed), {"role": "user", "content": "\n\n".join(parts)}]


def imagine_query(ctx, tool: Tool, long_term: list[str], episode_so_far: str, seed: int,
                  usage: Usage, offered: list[Tool] | None = None) -> tuple[str | None, Completion]:
    """A concrete user request this tool can serve, and the completion it came from (finish_reason)."""
    out = usage.add(ctx.engine.chat_json(imagination_prompt(tool, long_term, episode_so_far, seed, offered), query_schema(tool),
                                         seed=seed, **explore(ctx)))
    query = out.value.get("query", "") if isinstance(out.value, dict) else ""
    return (query.strip() or None), out
