"""CREATOR's record kinds and checks.

`CreatorRow` (config `creator`): one problem, solved (or not) by a tool the model made or reused,
with every attempt of every stage; its `messages`/`tools` are the chat form for fine-tuning:
the user's problem → the assistant's call of the created tool with this problem's arguments →
the tool's result → the answer in words. `LibraryTool` (config `tools`): the verified library,
one row per distinct tool (by AST hash, then by behaviour on probe inputs) that produced correct answers.
`AblationRow` (config `ablation`): the same problems solved by a variant of the method (ablation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sandbox
from builders.judge import Check
from builders.record import Json, Record, column

STAGES = ["creation", "decision", "rectification"]
# attempt statuses: creation's, then the sandbox's, then "no_answer" (ran, printed no Final Answer)
STATUSES = ["syntax_error", "no_function", "definition_error", *sandbox.STATUSES, "no_answer"]
# a stage's failure → the row's reason code
FAILURES = {"syntax_error": "syntax_error", "no_function": "no_tool", "definition_error": "definition_error",
            "error": "execution_error", "memory_limit": "execution_error", "output_limit": "execution_error",
            "forbidden": "execution_error", "crashed": "execution_error", "timeout": "timeout",
            "cpu_limit": "timeout", "no_answer": "no_answer"}
REASONS = {
    "syntax_error": "the last code the model wrote does not parse",
    "no_tool": "creation wrote no function",
    "definition_error": "the function cannot become a tool (e.g. it takes *args, or does not import)",
    "execution_error": "the last execution raised (or the sandbox stopped it for memory or output)",
    "timeout": "the last execution ran past its time limit",
    "no_answer": "the program ran but printed no `Final Answer:`",
    "wrong_answer": "the final answer is not the gold answer",
    "tool_not_called": "the answer was computed without calling the tool",
    "ungrounded_answer": "the tool's results do not contain the final answer (the chat form would lie)",
    "undocumented_tool": "the tool has no docstring",
    "hard_coded_tool": "the tool is no general function: it reads none of its parameters or returns a constant",
}


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One try of one stage: a creation (tool only), or an execution of tool + decision."""
    stage: str = column("creation, decision (first execution) or rectification", enum=STAGES)
    round: int = column("0 for creation tries and the first execution; 1.. for rectification rounds", minimum=0)
    candidate: int = column("which created tool this attempt belongs to (best-of-n: 0, 1, …)", default=0,
                            minimum=0)
    tool_code: str = column("the tool's code at this attempt")
    decision_code: str = column("the calling code at this attempt (empty for creation)", default="")
    status: str = column("ok, or what went wrong", enum=STATUSES)
    error: str = column("the cleaned traceback or problem the model was shown", default="")
    stdout: str = column("what the program printed (truncated)", default="")
    answer: str = column("the `Final Answer:` it printed (empty when none)", default="")
    wall_ms: float = column("sandbox wall time", default=0.0)


@dataclass(frozen=True, kw_only=True)
class CreatorRow(Record):
    config = "creator"
    accepted_schema = {"correct": {"const": True}, "messages": {"minItems": 4}}

    problem_id: str = column("the problem's id in its set", minLength=1)
    category: str = column("arithmetic, algebra, tables, dates, units, … (from the problem set)", default="")
    question: str = column("the problem as the model saw it (table and context included)", minLength=1)
    gold: str = column("the gold answer")
    tool_name: str = column("the tool's function name (empty when none was made)", default="")
    tool_code: str = column("the final tool code", default="")
    tool_spec: Json = column("the tool as a function spec {name, description, parameters}", default_factory=dict)
    tool_hash: str = column("sha256 of the tool's normalised syntax tree", default="")
    documented: bool = column("the tool has a docstring", default=False)
    decision_code: str = column("the final code that calls the tool", default="")
    attempts: list[Attempt] = column("every creation try and execution, in order", default_factory=list)
    creations: int = column("creation tries (1 + regenerations; 0 when a tool was reused)", default=0, minimum=0)
    rounds: int = column("rectification rounds used", default=0, minimum=0)
    reused: str = column("where the tool came from: created, group (made for an earlier problem of the "
                         "group) or library (retrieved from an earlier run's library)",
                         default="created", enum=["created", "group", "library"])
    reused_from: str = column("the reused tool's AST hash", default="")
    final_answer: str = column("the printed answer stated as the question asks (answers.state: rounded as "
                               "asked, money with its symbol, the unit asked for)", default="")
    printed_answer: str = column("the `Final Answer:` the program printed, as printed", default="")
    correct_first: bool = column("correct at the first execution, before any rectification", default=False)
    correct: bool = column("the final answer is the gold answer, rounded as the question asks "
                           "(answers.equivalent)", default=False)
    failure: str = column("the reason code of the stage that failed last ('' when none)", default="")
    messages: list[Json] = column("chat form: user problem → tool call → tool result → answer", default_factory=list)
    tools: list[Json] = column("the created tool as the chat contract's `tools` list", default_factory=list)
    prompt_tokens: int = column("prompt tokens of every model call for this problem", default=0, minimum=0)
    completion_tokens: int = column("generated tokens of every model call for this problem", default=0, minimum=0)
    llm_seconds: float = column("model time for this problem", default=0.0)


@dataclass(frozen=True, kw_only=True)
class AblationRow(CreatorRow):
    """A problem solved by a variant of the method (ablation.py): measurement, beside `creator`."""
    config = "ablation"

    variant: str = column("the ablation: no_rectification, no_transfer, no_grammar or best_of_N "
                          "(its changed settings are in `switches`)", minLength=1)


@dataclass(frozen=True, kw_only=True)
class LibraryTool(Record):
    config = "tools"

    name: str = column("the tool's name in the library (unique)", minLength=1)
    function: str = column("the function's name in `code`", minLength=1)
    description: str = column("what the tool does (its docstring)", minLength=1)
    parameters: Json = column("JSON Schema of its arguments")
    code: str = column("the tool's Python code", minLength=1)
    ast_hash: str = column("sha256 of its normalised syntax tree (the dedup key)", minLength=64, maxLength=64)
    version: str = column("the version of its code: the first 12 hex digits of its AST hash", default="")
    behaviour_hash: str = column("sha256 of its outputs on the probe inputs ('' when not probed): the "
                                 "behavioural dedup key", default="")
    variants: list[str] = column("AST hashes of the textually different tools that behave the same, "
                                 "merged into this entry (its own included)", default_factory=list)
    tests: list[Json] = column("its tests: {problem_id, arguments, expected, answer} of the calls that solved "
                               "problems (expected: the result the sandbox recorded)", default_factory=list)
    problems: list[str] = column("ids of the problems it solved correctly", default_factory=list)
    questions: list[str] = column("some of those problems' questions (retrieval reads them)", default_factory=list)
    categories: list[str] = column("categories of those problems", default_factory=list)
    uses: int = column("correct rows that used it", default=0, minimum=0)
    reuses: int = column("of those, rows that reused it (group or library)", default=0, minimum=0)


def _failure(r: CreatorRow):
    return r.failure or None


def _wrong(r: CreatorRow):
    return "wrong_answer" if r.final_answer and not r.correct else None


def _not_called(r: CreatorRow):
    return "tool_not_called" if r.final_answer and not r.failure and not r.messages else None


def _ungrounded(r: CreatorRow):
    from builders.methods.creator.chatform import grounded
    return "ungrounded_answer" if r.messages and not grounded(r.final_answer, r.messages) else None


def _undocumented(r: CreatorRow):
    return "undocumented_tool" if r.tool_code and not r.documented else None


def _hard_coded(r: CreatorRow):
    from builders.methods.creator.programs import hard_coded
    return "hard_coded_tool" if r.tool_code and r.tool_name and hard_coded(r.tool_code, r.tool_name) else None


CHECKS = (
    Check("stage_failure", _failure, (CreatorRow,)),
    Check("wrong_answer", _wrong, (CreatorRow,)),
    Check("tool_not_called", _not_called, (CreatorRow,)),
    Check("ungrounded_answer", _ungrounded, (CreatorRow,)),
    Check("undocumented_tool", _undocumented, (CreatorRow,)),
    Check("hard_coded_tool", _hard_coded, (CreatorRow,)),
)
