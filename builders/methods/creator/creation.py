"""Creation: the model writes a general, documented Python function for the problem's skill
(CREATOR's abstract reasoning, kept apart from this problem's numbers).

The reply is read as code (programs.extract_code), parsed with `ast`, and the function's signature
and JSON-Schema parameters are extracted by the Python loader's machinery
(builders.tools.pyfuncs.describe_callable) in the sandbox: defining the function runs the model's
module-level code, which never happens in the builder's process. A reply without a usable function
is regenerated, with what was wrong, up to `max_regenerations` times. With `grammar` on (the
default) the reply is sampled under grammars.TOOL, so it is always one typed, documented function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from builders.methods.base import Context
from builders.methods.creator import grammars, programs, prompts
from builders.methods.creator.records import Attempt
from builders.llm import Usage

_INSPECT = '''
import inspect as _i, types as _t
from builders.tools.pyfuncs import DefinitionError as _DE, describe_callable as _describe
_m = _t.ModuleType("toolmint_created")
exec(compile({code!r}, "<tool>", "exec"), _m.__dict__)
_fn = getattr(_m, {name!r})
_documented = bool((_fn.__doc__ or "").strip())
if not _documented:
    _fn.__doc__ = {fallback!r}
_ann = dict(getattr(_fn, "__annotations__", {{}}))
for _p, _v in _i.signature(_fn).parameters.items():
    if _p not in _ann and _v.kind not in (_v.VAR_POSITIONAL, _v.VAR_KEYWORD):
        _d = _v.default
        _ann[_p] = type(_d) if _d is not _v.empty and type(_d) in (int, float, str, bool, list, dict) else "typing.Any"
_fn.__annotations__ = _ann
_m.typing = __import__("typing")
try:
    _spec = _describe(_fn)
    result = {{"spec": {{k: _spec[k] for k in ("name", "description", "parameters")}}, "documented": _documented}}
except _DE as _e:
    result = {{"problem": str(_e)}}
'''


@dataclass(frozen=True)
class Tool:
    """A tool the model made (or one reused from a library): code and its function spec."""
    code: str
    name: str
    spec: dict
    documented: bool = True
    origin: str = "created"     # created | group | library
    origin_hash: str = ""


@dataclass
class Created:
    tool: Tool | None                       # None when every try failed
    attempts: list[Attempt] = field(default_factory=list)
    failure: str = ""                       # the last try's status when tool is None


def inspect_tool(ctx: Context, code: str, name: str) -> tuple[dict | None, bool, str]:
    """(spec, documented, problem) of function `name` in `code`, read in the sandbox."""
    fallback = name.replace("_", " ").strip().capitalize() + "."
    run = ctx.sandbox.run_code(_INSPECT.format(code=code, name=name, fallback=fallback))
    if run["status"] != "ok":
        return None, False, f"{run.get('exc_type') or run['status']}: {run.get('message') or ''}".strip()
    value = run.get("value") or {}
    if "spec" not in value:
        return None, False, str(value.get("problem") or "it could not be described")
    return value["spec"], bool(value.get("documented")), ""


def check_tool(ctx: Context, code: str) -> tuple[Tool | None, str, str]:
    """(tool, status, problem) for candidate tool code: parse, find the function, inspect it."""
    error = programs.syntax_error(code)
    if error:
        return None, "syntax_error", error
    tool_code, _ = programs.split_program(code)
    name = programs.tool_function(tool_code) if tool_code else None
    if not name:
        return None, "no_function", "it defines no function"
    spec, documented, problem = inspect_tool(ctx, tool_code, name)
    if spec is None:
        return None, "definition_error", problem
    return Tool(tool_code, name, spec, documented), "ok", ""


def create_tool(ctx: Context, problem_text: str, seed: int, usage: Usage, category: str = "") -> Created:
    s = ctx.settings
    created = Created(tool=None)
    feedback, undocumented = "", None
    shaped = bool(s.get("grammar"))
    for attempt in range(1 + int(s["max_regenerations"])):
        messages = prompts.creation(problem_text, feedback, category, fenced=not shaped)
        reply = usage.add(ctx.engine.chat(messages, temperature=s["temperature"], max_tokens=s["max_tokens"],
                                          seed=seed + attempt, pin=prompts.PINNED,
                                          **({"grammar": grammars.TOOL} if shaped else {})))
        code = reply.text.strip() if shaped else programs.extract_code(reply.text)  # shaped: as written
        tool, status, problem = check_tool(ctx, code)
        if tool is not None and not tool.documented:
            status, problem, undocumented = "ok", "it has no docstring", tool
        created.attempts.append(Attempt(stage="creation", round=0, tool_code=code, status=status, error=problem))
        if tool is not None and tool.documented:
            created.tool = tool
            return created
        created.failure = status
        feedback = problem
    created.tool = undocumented  # usable, but the judge rejects it (undocumented_tool)
    if undocumented is not None:
        created.failure = ""
    return created
