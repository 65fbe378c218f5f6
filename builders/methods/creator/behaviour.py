"""A tool's behaviour: its outputs on probe inputs, computed in the sandbox, so that two tools the
model wrote differently (other names, other text, other arithmetic) but that compute the same
thing are recognised as one library entry.

  parameters(code, function, spec)  the tool's parameters in signature order, with their JSON types
  probes(signatures, recorded)      the inputs every tool of one signature is run on: the arguments
                                    the tools were really called with, then a few made from the types
  fingerprint(box, code, ...)       sha256 of the outputs on the probes (None: no output to compare)

Two tools compare only when their signatures (the JSON types of their parameters, in order) are
the same; they are called positionally, so parameter names do not matter. Outputs are compared
as data: numbers to nine significant digits (1157.625 and 1157.6250000000002 agree), lists and
tuples alike, any exception as "error". Nothing here runs model code: `ast` reads the signature,
and the calls run in the sandbox.
"""

from __future__ import annotations

import ast
import hashlib
import json

from sandbox.limits import Limits

MAX_PROBES = 24
# made-up inputs per JSON type; parameter j of probe i takes values[(i + 2j) % len] so parameters differ
_MADE_UP = {
    "integer": [1, 2, 3, 7, 12, 25],
    "number": [0.5, 2.0, 3.25, 10.0, 7.5, 100.0],
    "boolean": [True, False],
    "array": [[1, 2, 3], [4.5, 2, 8, 1], [10, 20]],
    "string": [],   # strings are too varied to make up (dates, words, tables): recorded inputs only
    "object": [],
}

_PROGRAM = '''
import math as _tm_math
def _tm_out(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        v = float(v)
        return repr(v) if _tm_math.isnan(v) or _tm_math.isinf(v) else float(f"{v:.9g}")
    if isinstance(v, (list, tuple)):
        return [_tm_out(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _tm_out(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    return repr(v)[:200]
_tm_results = []
for _tm_args in _TM_PROBES:
    try:
        _tm_results.append(_tm_out(_TM_FN(*_tm_args)))
    except Exception:
        _tm_results.append("error")
result = _tm_results
'''


def parameters(code: str, function: str, spec: dict) -> list[tuple[str, str]] | None:
    """[(name, JSON type)] of the tool's parameters in the order of its `def`; None when the code
    does not parse, defines no such function, or takes *args / **kwargs."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function),
              None)
    if fn is None or fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs:
        return None
    props = ((spec or {}).get("parameters") or {}).get("properties") or {}
    out = []
    for arg in [*fn.args.posonlyargs, *fn.args.args]:
        kind = (props.get(arg.arg) or {}).get("type")
        out.append((arg.arg, kind if isinstance(kind, str) else "any"))
    return out


def signature(params: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(kind for _, kind in params)


def positional(params: list[tuple[str, str]], arguments: dict) -> list | None:
    """Keyword arguments as a positional list in the tool's order (None when one is unknown)."""
    names = [n for n, _ in params]
    if not isinstance(arguments, dict) or set(arguments) - set(names):
        return None
    out = []
    for name in names:
        if name not in arguments:
            break  # the rest take their defaults
        out.append(arguments[name])
    return out if len(out) == len(arguments) else None


def probes(sig: tuple[str, ...], recorded: list[list]) -> list[list]:
    """Inputs for every tool of signature `sig`: the recorded ones (deduplicated, in a fixed
    order), then made-up ones where every type has made-up values, up to MAX_PROBES."""
    seen, out = set(), []
    for args in sorted(recorded, key=lambda a: json.dumps(a, sort_keys=True, default=str)):
        key = json.dumps(args, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(args)
    pools = [_MADE_UP.get(kind) or [] for kind in sig]
    if sig and all(pools):
        for i in range(6):
            out.append([pool[(i + 2 * j) % len(pool)] for j, pool in enumerate(pools)])
    return out[:MAX_PROBES]


def outputs(box, code: str, function: str, inputs: list[list], wall_s: float = 5.0) -> list | None:
    """The tool's outputs on `inputs`, run in the sandbox; None when the run failed as a whole."""
    program = f"{code}\n_TM_FN = {function}\n_TM_PROBES = {inputs!r}\n{_PROGRAM}"
    run = box.run_code(program, Limits(wall_s=wall_s, cpu_s=wall_s))
    value = run.get("value")
    if run.get("status") != "ok" or not isinstance(value, list) or len(value) != len(inputs):
        return None
    return value


def fingerprint(values: list | None) -> str | None:
    """sha256 of the outputs; None when there is nothing to compare (no run, or only errors)."""
    if not values or all(v == "error" for v in values):
        return None
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
