"""Decision: the model writes the code that calls the tool with this problem's specifics and prints
`Final Answer: …` (CREATOR's concrete reasoning). A decision that pasted the tool again keeps only
its calling part, so the tool that runs is the one created (or reused)."""

from __future__ import annotations

from builders.methods.base import Context
from builders.methods.creator import programs, prompts
from builders.methods.creator.creation import Tool
from builders.llm import Usage


def decide(ctx: Context, problem_text: str, tool: Tool, seed: int, usage: Usage) -> str:
    s = ctx.settings
    reply = usage.add(ctx.engine.chat(prompts.decision(problem_text, tool.code), temperature=s["temperature"],
                                      max_tokens=s["max_tokens"], seed=seed))
    return calling_part(programs.extract_code(reply.text), tool.name)


def calling_part(code: str, name: str) -> str:
    """The code without definitions of the tool (kept as written when it does not parse: the
    syntax error is then reported by execution and repaired by rectification)."""
    if not programs.parses(code):
        return code
    return programs.without_function(code, name)
