"""Decision: the model writes the code that calls the tool with this problem's specifics and prints
`Final Answer: …` (CREATOR's concrete reasoning). A decision that pasted the tool again keeps only
its calling part, so the tool that runs is the one created (or reused). With `grammar` on, the
decision is sampled under grammars.decision(the tool's spec): one keyword call of the tool, printed."""

from __future__ import annotations

from builders.methods.base import Context
from builders.methods.creator import grammars, programs, prompts
from builders.methods.creator.creation import Tool
from builders.llm import Usage


def decide(ctx: Context, problem_text: str, tool: Tool, seed: int, usage: Usage, category: str = "") -> str:
    s = ctx.settings
    shaped = bool(s.get("grammar")) and bool(tool.spec.get("name"))
    extra = {"grammar": grammars.decision(tool.spec, grammars.problem_numbers(problem_text))} if shaped else {}
    reply = usage.add(ctx.engine.chat(prompts.decision(problem_text, tool.code, category, fenced=not shaped),
                                      temperature=s["temperature"], max_tokens=s["max_tokens"], seed=seed,
                                      pin=prompts.PINNED, **extra))
    return calling_part(programs.extract_code(reply.text), tool.name)


def calling_part(code: str, name: str) -> str:
    """The code without definitions of the tool (kept as written when it does not parse: the
    syntax error is then reported by execution and repaired by rectification)."""
    if not programs.parses(code):
        return code
    return programs.without_function(code, name)
