"""Rectification: when execution raised, timed out or printed no answer, the model sees its code
and the cleaned error and writes the program again; the definitions in the reply replace the
tool, the rest replaces the decision (a reply with only one of them keeps the other).

With `grammar` on, a repair is two constrained replies instead: the tool written again under
grammars.TOOL (shown the failed program and its error), then a new decision for it under
grammars.decision — a repaired tool that cannot be described keeps the old one."""

from __future__ import annotations

from builders.methods.base import Context
from builders.methods.creator import grammars, programs, prompts
from builders.methods.creator.creation import Tool, check_tool
from builders.methods.creator.decision import calling_part, decide
from builders.llm import Usage


def rectify(ctx: Context, problem_text: str, tool_code: str, decision_code: str, error: str, seed: int,
            usage: Usage) -> tuple[str, str]:
    """(tool code, decision code) after one repair."""
    s = ctx.settings
    reply = usage.add(ctx.engine.chat(prompts.rectification(problem_text, tool_code, decision_code, error),
                                      temperature=s["temperature"], max_tokens=s["max_tokens"], seed=seed,
                                      pin=prompts.PINNED))
    return repaired(programs.extract_code(reply.text), tool_code, decision_code)


def repaired(code: str, tool_code: str, decision_code: str) -> tuple[str, str]:
    if not programs.parses(code):
        # unparsable: keep the tool when the reply has no function, so the syntax error is the call's
        return (tool_code, code) if "def " not in code else (code, decision_code)
    new_tool, new_decision = programs.split_program(code)
    if new_tool and programs.tool_function(new_tool):
        tool_code = new_tool
    elif new_tool:  # imports or constants only: they go before the (new, or else old) calling code
        new_decision = f"{new_tool}\n{new_decision or decision_code}".strip()
    if new_decision:
        decision_code = calling_part(new_decision, programs.tool_function(tool_code) or "")
    return tool_code, decision_code


def repair(ctx: Context, problem_text: str, tool: Tool, decision_code: str, error: str, seed: int,
           usage: Usage, category: str = "") -> tuple[Tool, str]:
    """(tool, decision code) after one grammar-shaped repair: the tool rewritten, then decided again."""
    s = ctx.settings
    reply = usage.add(ctx.engine.chat(prompts.repair(problem_text, tool.code, decision_code, error),
                                      temperature=s["temperature"], max_tokens=s["max_tokens"], seed=seed,
                                      grammar=grammars.TOOL, pin=prompts.PINNED))
    new, _, _ = check_tool(ctx, reply.text.strip())  # as written: the grammar leaves no prose to cut
    if new is not None:
        tool = Tool(new.code, new.name, new.spec, new.documented, tool.origin, tool.origin_hash)
    return tool, decide(ctx, problem_text, tool, seed + 1, usage, category)
