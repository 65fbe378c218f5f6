"""One problem through CREATOR's stages: (reuse or) creation → decision → execution →
rectification, every attempt recorded, built into one complete CreatorRow.

Reuse comes first: a tool verified on an earlier problem of the same group (tool transfer), else
the library tool retrieved for the problem's text. A reused tool that still yields no answer after
rectification gives way to a new tool; both tries stay in `attempts`.

Best-of-n (`candidates`): when a created tool still gives no answer after rectification, a new
tool is created (other seeds) and tried, up to n tools; the first that answers is the row's, and
every candidate's attempts stay in `attempts` (column `candidate`). With `select: correct` the
candidates go on until one's answer is the gold answer (rejection sampling: the gold judges
answers, it never enters a prompt); the row's `candidate` of its last attempt says which won.
"""

from __future__ import annotations

from dataclasses import replace

from builders.methods.base import Context, Unit
from builders.methods.creator import chatform, programs
from builders.methods.creator.answers import equivalent, state
from builders.methods.creator.creation import Created, Tool, create_tool, inspect_tool
from builders.methods.creator.decision import decide
from builders.methods.creator.execution import Execution, execute
from builders.methods.creator.problems import Problem
from builders.methods.creator.records import FAILURES, Attempt, CreatorRow
from builders.methods.creator.rectification import rectify, repair
from builders.llm import Usage


class Solution:
    """The state of one tool's try at a problem: its code, the decision and each execution."""

    def __init__(self, tool: Tool, candidate: int = 0):
        self.tool = tool
        self.current = tool          # the tool as repaired so far (grammar mode)
        self.candidate = candidate
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
        self.attempts.append(Attempt(stage=stage, round=self.rounds, candidate=self.candidate, tool_code=self.tool_code,
                                     decision_code=self.decision_code, status=ex.status, error=ex.error,
                                     stdout=ex.stdout, answer=ex.answer, wall_ms=ex.wall_ms))


def solve(ctx: Context, problem_text: str, tool: Tool, seed: int, usage: Usage, category: str = "",
          candidate: int = 0) -> Solution:
    """Decision, execution, then up to `max_rounds` rectifications while there is no answer."""
    sol = Solution(tool, candidate)
    sol.decision_code = decide(ctx, problem_text, tool, seed, usage, category)
    sol.record("decision", execute(ctx, sol.tool_code, sol.decision_code, sol.name))
    while not sol.last.answered and sol.rounds < int(ctx.settings["max_rounds"]):
        sol.rounds += 1
        if ctx.settings.get("grammar"):
            sol.current, sol.decision_code = repair(ctx, problem_text, sol.current, sol.decision_code,
                                                    sol.last.error, seed + 100 + 2 * sol.rounds, usage, category)
            sol.tool_code = sol.current.code
        else:
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


def run_problem(ctx: Context, unit: Unit, problem: Problem, reuse: list[Tool], base: dict,
                kind: type[CreatorRow] = CreatorRow) -> CreatorRow:
    """The complete row for one problem. `reuse`: tools to try before creating one, best first;
    `kind`: CreatorRow, or AblationRow (with `variant` in `base`) for an ablation's row."""
    usage, attempts = Usage(), []
    text = problem.prompt()
    sol: Solution | None = None
    created = Created(tool=None)
    creations = 0
    def right(ex) -> bool:
        """The printed answer, stated in the question's form, is the gold (rounded as asked)."""
        return ex.answered and equivalent(state(ex.answer, text), problem.answer, question=text)

    def done(sol: Solution) -> bool:
        """Stop trying tools: this one answered (and, with `select: correct`, rightly)."""
        return sol.last.answered and (ctx.settings.get("select") != "correct" or right(sol.last))

    for tool in reuse[:1]:
        sol = solve(ctx, text, tool, unit.seed, usage, problem.category)
        attempts += sol.attempts
        if not done(sol):
            sol = None
    first = len(reuse[:1])  # candidate numbers count every tool tried, a reused one first
    for k in range(int(ctx.settings.get("candidates") or 1) if sol is None else 0):
        seed = unit.seed + 1000 * k
        created = create_tool(ctx, text, seed, usage, problem.category)
        creations += len(created.attempts)
        attempts += [replace(a, candidate=first + k) for a in created.attempts]
        if created.tool is not None:
            sol = solve(ctx, text, created.tool, seed + 50, usage, problem.category, candidate=first + k)
            attempts += sol.attempts
            if done(sol):
                break
    fields = dict(base, problem_id=problem.id, category=problem.category, question=text, gold=problem.answer,
                  attempts=attempts, creations=creations, prompt_tokens=usage.prompt_tokens,
                  completion_tokens=usage.completion_tokens, llm_seconds=round(usage.seconds, 3))
    if sol is None:
        failure = FAILURES.get(created.failure, "no_tool")
        return kind(**fields, failure=failure, reasons=[failure])
    tool, tool_failure = final_tool(ctx, sol)
    ex = sol.last
    failure = FAILURES.get(ex.status, "") if not ex.answered else tool_failure
    stated = state(ex.answer, text) if ex.answered else ""
    spec = tool.spec if tool else {}
    messages = chatform.messages(problem.id, text, sol.name, ex.calls, stated) if tool else []
    row = kind(
        **fields, tool_name=sol.name, tool_code=sol.tool_code, tool_spec=spec,
        tool_hash=programs.ast_hash(sol.tool_code, sol.name) if _name(sol.tool_code) else "",
        documented=bool(tool and tool.documented), decision_code=sol.decision_code, rounds=sol.rounds,
        reused=sol.tool.origin, reused_from=sol.tool.origin_hash, final_answer=stated,
        printed_answer=ex.answer if ex.answered else "", correct_first=right(sol.executions[0]), correct=right(ex),
        failure=failure, reasons=[failure] if failure else [], messages=messages, tools=chatform.tools(spec))
    return row
