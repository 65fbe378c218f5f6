"""Trial and error: the model calls the tool (arguments constrained by a grammar from the tool's
parameter schema), the call runs in the sandbox, and the result or the error — a refused argument,
an exception, a timeout, an unparsable reply — comes back so the model can correct itself."""

from __future__ import annotations


from builders.llm import Usage
from builders.methods.calls import execute
from builders.methods import grounding  # a module: grounding imports STE's checks
from builders.methods.ste import preamble
from builders.methods.ste.memory import call_text
from builders.methods.ste.settings import exploit
from builders.record import Call
from builders.tools import environment
from builders.tools.spec import Tool



def call_schema(tools: list[Tool], stated: str | None = None) -> dict:
    """JSON Schema of one call to any of `tools`: the grammar makes every call parse and fit. With
    `stated` (the user's words), argument values are copied from it (builders/methods/grounding.py)."""
    options = [{
        "type": "object",
        "properties": {"name": {"const": t.name},
                       "arguments": t.parameters if stated is None else grounding.ground_parameters(t.parameters, stated)},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    } for t in tools]
    return options[0] if len(options) == 1 else {"anyOf": options}


OUTCOME_CHARS = 600  # of a result, shown to reflection and the judge
CALL_INSTRUCTIONS = ("Answer this request by calling one tool. Put into the arguments only values the user "
                     "stated or that follow from the conversation; never make a value up.")


def call_prompt(tools: list[Tool], dialogue: list[dict], query: str, trials: list[Call], feedback: bool) -> list[dict]:
    messages = [preamble.system(tools), *dialogue,
                {"role": "user", "content": f"{query}\n\n{CALL_INSTRUCTIONS} Reply with the tool call as JSON: "
                                            '{"name": TOOL, "arguments": {...}}'}]
    for trial in trials:
        seen = trial.observation if feedback else "(no details)"
        messages.append({"role": "assistant", "content": call_text(trial)})
        messages.append({"role": "user", "content": f"That call failed: {seen}\nReply with a corrected tool call as JSON."})
    return messages


def exchange(tools: list[Tool], dialogue: list[dict], query: str, trials: list[Call], feedback: bool) -> list[dict]:
    """The query's conversation up to its last call: that call's prompt and the call. Reflection and
    the judge continue it, and the next query's call prompt continues the reflection, so an episode's
    prompts extend one another and start from each other's KV cache (builders/llm/prefixes.py)."""
    return [*call_prompt(tools, dialogue, query, trials[:-1], feedback),
            {"role": "assistant", "content": call_text(trials[-1])}]


def outcome(trial: Call, answer: str, feedback: bool) -> str:
    """What came of the last call, as reflection and the judge read it after the call."""
    seen = trial.observation[:OUTCOME_CHARS] if feedback else "(not shown)"
    return f"{'Result' if trial.status == 'ok' else 'Error'}: {seen}\nFinal answer: {answer or '(none)'}"


def stated(query: str, earlier: list[str], tools: list[Tool]) -> str:
    """What the call's values may come from: the query; for a stateful environment also the episode's
    earlier requests and results, whose calls made the state (the row carries them)."""
    if not any(t.environment for t in tools):
        return query
    return "\n".join([*earlier, query])


def choose_call(ctx, tools: list[Tool], dialogue: list[dict], query: str, trials: list[Call], seed: int,
                usage: Usage, earlier: list[str] = ()) -> dict | None:
    """The call the model makes for `query`, seeing the episode so far and its failed trials' errors.
    `earlier`: the episode's earlier requests and results, where a stateful call's values may come from."""
    messages = call_prompt(tools, dialogue, query, trials, ctx.settings.get("execution_feedback", True))
    schema = call_schema(tools, stated(query, list(earlier), tools) if ctx.settings.get("grounding", True) else None)
    out = usage.add(ctx.engine.chat_json(messages, schema, seed=seed, pin=1, **exploit(ctx)))  # pin: the tools' documentation
    return out.value if isinstance(out.value, dict) else None


def unparsable(text: str = "") -> Call:
    """A reply that was not a call (cut off by the token limit): it is an error the model is shown."""
    return Call(name="", arguments={}, status="invalid", reason="malformed_output",
                message="the reply was not a JSON tool call", observation="the reply was not a JSON tool call")


def execute_call(ctx, call: dict, calls: environment.Episode) -> Call:
    """Validate the arguments, then run the call in the sandbox (within the episode's environments)."""
    return execute(ctx.tools, calls, call.get("name", ""), call.get("arguments"))

