"""One problem through CREATOR's stages: (reuse or) creation → decision → execution →
rectification, every attempt recorded, built into one complete CreatorRow.

Reuse comes first: a tool verified on an earlier problem of the same group (tool transfer), else
the library tool retrieved for the problem's text. A reused tool that still yields no answer after
rectification gives way to a new tool; both tries stay in `attempts`.
"""

from __future__ import annotations

from builders.methods.base import Context, Unit
from builders.methods.creator import chatform, programs
from builders.methods.creator.answers import equivalent
from builders.methods.creator.creation import Created, Tool, create_tool, inspect_tool
from builders.methods.creator.decision import decide
from builders.methods.creator.execution import Execution, execute
from builders.methods.creator.problems import Problem
from builders.methods.creator.records import FAILURES, Attempt, CreatorRow
from builders.methods.creator.rectification import rectify
from builders.llm import Usage


class Solution:
    """The state of one tool's try at a problem: its code, the decision and each execution."""

    def __init__(self, tool: Tool):
        self.tool = tool
        self.tool_code, self.name = tool.code, tool.name
        self.decision_code = ""
        self.attempts: list[Attempt] = []
        self.executions: list[Execution] = []
        self.rounds = 0

    @property
    def last(self) -> Execution | None:
        return self.executions[-1] if self.executions else None

    def record(self, stage: str, ex: Execution) -> None:
        self.executions.append(ex)
        self.attempts.append(Attempt(stage=stage, round=self.rounds, tool_code=self.tool_code,
                                     decision_code=self.decision_code, status=ex.status, error=ex.error,
                                     stdout=ex.stdout, answer=ex.answer, wall_ms=ex.wall_ms))


def solve(ctx: Context, problem_text: str, tool: Tool, seed: int, usage: Usage) -> Solution:
    """Decision, execution, then up to `max_rounds` rectifications while there is no answer."""
    sol = Solution(tool)
    sol.decision_code = decide(ctx, problem_text, tool, seed, usage)
    sol.record("decision", execute(ctx, sol.tool_code, sol.decision_code, sol.name))
    while not sol.last.answered and sol.rounds < int(ctx.settings["max_rounds"]):
        sol.rounds += 1
        sol.tool_code, sol.decision_code = rectify(ctx, problem_text, sol.tool_code, sol.decision_code,
                                                   sol.last.error, seed + 100 + sol.rounds, usage)
        sol.name = _name(sol.tool_code) or sol.name
        sol.record("rectification", execute(ctx, sol.tool_code, sol.decision_code, sol.name))
    return sol


def _name(code: str) -> str | None:
    return programs.tool_function(code) if programs.parses(code) else None


def final_tool(ctx: Context, sol: Solution) -> tuple[Tool | None, str]:
    """The tool as it ended (rectification may have changed it), re-described when it did."""
    if sol.tool_code == sol.tool.code:
        return sol.tool, ""
    if not _name(sol.tool_code):
        return None, "syntax_error"
    spec, documented, _ = inspect_tool(ctx, sol.tool_code, sol.name)
    if spec is None:
        return None, "definition_error"
    return Tool(sol.tool_code, sol.name, spec, documented, sol.tool.origin, sol.tool.origin_hash), ""


def run_problem(ctx: Context, unit: Unit, problem: Problem, reuse: list[Tool], base: dict) -> CreatorRow:
    """The complete row for one problem. `reuse`: tools to try before creating one, best first."""
    usage, attempts = Usage(), []
    text = problem.prompt()
    sol: Solution | None = None
    created = Created(tool=None)
    creations = 0
    for tool in reuse[:1]:
        sol = solve(ctx, text, tool, unit.seed, usage)
        attempts += sol.attempts
        if not sol.last.answered:
            sol = None
    if sol is None:
        created = create_tool(ctx, text, unit.seed, usage)
        creations = len(created.attempts)
        attempts = attempts + created.attempts
        if created.tool is not None:
            sol = solve(ctx, text, created.tool, unit.seed + 50, usage)
            attempts += sol.attempts
    fields = dict(base, problem_id=problem.id, category=problem.category, question=text, gold=problem.answer,
                  attempts=attempts, creations=creations, prompt_tokens=usage.prompt_tokens,
                  completion_tokens=usage.completion_tokens, llm_seconds=round(usage.seconds, 3))
    if sol is None:
        failure = FAILURES.get(created.failure, "no_tool")
        return CreatorRow(**fields, failure=failure, reasons=[failure])
    tool, tool_failure = final_tool(ctx, sol)
    ex = sol.last
    failure = FAILURES.get(ex.status, "") if not ex.answered else tool_failure
    correct = ex.answered and equivalent(ex.answer, problem.answer)
    first = sol.executions[0]
    spec = tool.spec if tool else {}
    messages = chatform.messages(problem.id, text, sol.name, ex.calls, ex.answer) if tool else []
    row = CreatorRow(
        **fields, tool_name=sol.name, tool_code=sol.tool_code, tool_spec=spec,
        tool_hash=programs.ast_hash(sol.tool_code, sol.name) if _name(sol.tool_code) else "",
        documented=bool(tool and tool.documented), decision_code=sol.decision_code, rounds=sol.rounds,
        reused=sol.tool.origin, reused_from=sol.tool.origin_hash, final_answer=ex.answer,
        correct_first=first.answered and equivalent(first.answer, problem.answer), correct=bool(correct),
        failure=failure, reasons=[failure] if failure else [], messages=messages, tools=chatform.tools(spec))
    return row
