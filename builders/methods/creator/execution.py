"""Execution: the tool and the decision run together in the sandbox (ctx.sandbox.run_code), never in
the builder's process (the paper's code ran them on the host with a one-second alarm). The
result is read as data: the `Final Answer:` line of stdout, the tool's recorded calls, and on a
failure the traceback cleaned down to the model's own lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from builders.methods.base import Context
from builders.methods.creator import programs
from builders.methods.creator.answers import final_answer
from sandbox.limits import Limits

STDOUT_CHARS = 2000


@dataclass
class Execution:
    status: str                  # ok, syntax_error, a sandbox failure status, or no_answer
    answer: str = ""
    stdout: str = ""
    error: str = ""              # what the model is shown to repair
    calls: list = field(default_factory=list)   # [{arguments, result}] of the tool's top-level calls
    wall_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return self.status == "ok"


def limits(ctx: Context) -> Limits:
    t = float(ctx.settings["timeout_s"])
    return Limits(wall_s=t, cpu_s=t)


def execute(ctx: Context, tool_code: str, decision_code: str, name: str) -> Execution:
    for part in (tool_code, decision_code):
        error = programs.syntax_error(part)
        if error:
            return Execution("syntax_error", error=error)
    code, first, tool_lines = programs.program(tool_code, decision_code, name)
    run = ctx.sandbox.run_code(code, limits(ctx))
    stdout = (run.get("stdout") or "")[-STDOUT_CHARS:]
    wall = float(run.get("wall_ms") or 0.0)
    if run["status"] in ("timeout", "cpu_limit"):
        return Execution(run["status"], stdout=stdout, wall_ms=wall,
                         error=f"The code ran longer than {ctx.settings['timeout_s']} s and was stopped "
                               f"(an endless loop?).")
    if run["status"] != "ok":
        error = programs.clean_traceback(run.get("traceback"), run.get("message"), run.get("exc_type"), code,
                                         first, tool_lines)
        return Execution(run["status"], stdout=stdout, error=error, wall_ms=wall)
    value = run.get("value") if isinstance(run.get("value"), dict) else {}
    calls = value.get("calls") if isinstance(value.get("calls"), list) else []
    answer = final_answer(stdout)
    if answer is None:
        said = f"It printed:\n{stdout.strip()[-400:]}" if stdout.strip() else "It printed nothing."
        return Execution("no_answer", stdout=stdout, calls=calls, wall_ms=wall,
                         error=f'The code ran but printed no line "Final Answer: ...". {said}')
    if answer in ("None", "[]", "{}", "''", '""'):  # the tool gave nothing back: repair it, this is no answer
        return Execution("no_answer", stdout=stdout, calls=calls, wall_ms=wall,
                         error=f"It printed Final Answer: {answer}. The tool returned nothing useful "
                               f"(is a return missing?).")
    return Execution("ok", answer=answer[:200], stdout=stdout, calls=calls, wall_ms=wall)
