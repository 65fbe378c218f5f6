"""The record kinds α-UMi writes: one multi-step trajectory, and the four role configs sliced from it.

`trajectories` keeps the whole episode (every step, failed calls with their errors); `backbone`
(stage 1) and `planner`, `caller`, `summarizer` (stage 2) hold α-UMi's own `{tools, history,
input, target}` (its tool list as `umi_tools`: `tools` is the chat contract's column, which TRL hands
to `apply_chat_template`) beside the chat contract (`messages` + `tools`, a role-specific system
prompt first, the target last).
"""

from __future__ import annotations

from dataclasses import dataclass

from builders.record import Json, Record, column

OUTCOMES = ("conclusion", "give_up")
KINDS = ("one_tool", "domain", "cross_domain", "environment", "single_call")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One planner turn and, when it chose the caller, the call it led to and what came back."""
    thought: str = column("the planner's rationale for this step")
    next: str = column("what the planner chose", enum=["caller", "conclusion", "give up"])
    name: str = column("the tool called (caller steps)", default="")
    arguments: Json = column("the call's arguments (caller steps)", default_factory=dict)
    status: str = column("ok, invalid (refused before running), error, timeout … (caller steps)", default="")
    reason: str = column("the failure's reason code (failed calls)", default="")
    observation: str = column("what the call returned, or its error", default="")
    observation_cut: bool = column("the observation was cut at the bound, with a mark (docs/chat.md)", default=False)


@dataclass(frozen=True, kw_only=True)
class Trajectory(Record):
    """A multi-step, multi-tool episode: imagined query, planner/caller turns executed in the sandbox,
    the summarizer's answer (or the planner giving up)."""

    config = "trajectories"
    request = "query"  # the run's dedup stage compares these; a removed one takes its role rows along
    accepted_schema = {"query": {"minLength": 1}, "outcome": {"enum": list(OUTCOMES)}, "steps": {"minItems": 2}}

    kind: str = column("how the tools were grouped", enum=list(KINDS))
    tool_names: list[str] = column("the tools offered, in order", default_factory=list)
    query: str = column("the imagined user request", default="")
    steps: list[Step] = column("planner turns in order, each with its call and observation", default_factory=list)
    final_answer: str = column("the summarizer's answer, or the give-up message", default="")
    outcome: str = column("conclusion, give_up, or '' when the episode did not finish", default="",
                          enum=["", *OUTCOMES])
    candidates: list[Json] = column("best of n: requests and calls sampled and discarded (a repeat of a successful call), "
                                    "{stage, text, reasons}", default_factory=list)
    messages: list[Json] = column("the episode in the chat contract: successful calls (and, when it gave up, "
                                  "the failed ones) and the final answer", default_factory=list)
    tools: list[Json] = column("the tools offered, in the chat contract", default_factory=list)
    prompt_tokens: int = column("prompt tokens of every LLM call of the episode", default=0, minimum=0)
    completion_tokens: int = column("generated tokens of every LLM call of the episode", default=0, minimum=0)
    llm_seconds: float = column("time spent in the LLM", default=0.0, minimum=0)


@dataclass(frozen=True, kw_only=True)
class RoleRow(Record):
    """One training row of one α-UMi role."""

    role: str = column("backbone, planner, caller or summarizer",
                       enum=["backbone", "planner", "caller", "summarizer"])
    umi_tools: list[Json] = column("α-UMi: the tools as ToolBench lists them, {Name, function, input} (α-UMi's "
                                   "`tools`)")
    history: list[Json] = column("α-UMi: the turns before this one, {from: user|assistant|caller|observation|"
                                 "conclusion, value}")
    input: str = column("α-UMi: the whole prompt (tools, serialised history, the role's instruction), ending "
                        "in the role's cue", minLength=1)
    target: str = column("α-UMi: what the role must write (loss on this only)", minLength=1)
    messages: list[Json] = column("chat contract: a role-specific system prompt, the history, the target as "
                                  "the last message", default_factory=list)
    tools: list[Json] = column("chat contract: the tools, {type: function, function: {…}}", default_factory=list)
    trajectory: str = column("the id of the trajectory the row was sliced from", minLength=1)
    outcome: str = column("how that trajectory ended", enum=list(OUTCOMES))

    def umi(self) -> dict:
        """The row as α-UMi's code reads it, `{tools, history, input, target}` (GLPFT's JSON)."""
        return {"tools": self.umi_tools, "history": self.history, "input": self.input, "target": self.target}


@dataclass(frozen=True, kw_only=True)
class BackboneRow(RoleRow):
    """Stage 1: the whole task, thought and call (or conclusion) in one target."""
    config = "backbone"
    open_call = True  # the target may be the call itself; its result is the next row's


@dataclass(frozen=True, kw_only=True)
class PlannerRow(RoleRow):
    """Stage 2: the planner's rationale ending in ` Next: caller.` / ` Next: conclusion.` / ` Next: give up.`"""
    config = "planner"


@dataclass(frozen=True, kw_only=True)
class CallerRow(RoleRow):
    """Stage 2: the caller's `Action: NAME\\nAction Input: {json}`."""
    config = "caller"
    open_call = True  # the target is the call itself; its result is the next row's


@dataclass(frozen=True, kw_only=True)
class SummarizerRow(RoleRow):
    """Stage 2: the summarizer's final answer (`conclusion` in α-UMi's data)."""
    config = "summarizer"


ROW_KINDS = {"backbone": BackboneRow, "planner": PlannerRow, "caller": CallerRow, "summarizer": SummarizerRow}
