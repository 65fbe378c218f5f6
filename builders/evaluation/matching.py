"""A model's calls against gold calls, by BFCL's AST rules (bfcl_eval/eval_checker/ast_eval), written
again here because the wheel's checker imports every provider's SDK.

A gold call is BFCL's "possible answer": `{name: {parameter: [acceptable values]}}`; `""` among a
parameter's values means it may be left out (an optional parameter, or one at its default). A call
matches when its tool is the gold's, every required parameter is there, every parameter it gives is
in the gold and holds one of the acceptable values, and every gold parameter without `""` is there.
Values are compared normalised: strings without case, spaces and `,./-_*^` ("April 1, 2024" is
"april 1 2024"), an integer where a float is asked and an integral float where an integer is asked
(5 is 5.0; True is never 1), dicts and lists element by element (BFCL's nested possible answers:
a dict of lists of acceptable values). Several calls match in any order (`match_calls`).
"""

from __future__ import annotations

import re

FAILURES = ("malformed", "no_call", "wrong_count", "wrong_tool", "missing_required", "missing_argument",
            "unexpected_argument", "wrong_type", "wrong_value", "called_irrelevant")
OPTIONAL = ""


def standard(text: str) -> str:
    """BFCL's string normalisation."""
    return re.sub(r"[ ,./\-_*^]", "", text).lower().replace("'", '"')


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same(value, gold) -> bool:
    """Equal after normalisation (see the module)."""
    if isinstance(value, bool) or isinstance(gold, bool):
        return isinstance(value, bool) and isinstance(gold, bool) and value == gold
    if _number(value) and _number(gold):
        return float(value) == float(gold)
    if isinstance(value, str) and isinstance(gold, str):
        return standard(value) == standard(gold)
    if isinstance(value, (list, tuple)) and isinstance(gold, (list, tuple)):
        return len(value) == len(gold) and all(same(v, g) for v, g in zip(value, gold))
    if isinstance(value, dict) and isinstance(gold, dict):
        return value.keys() == gold.keys() and all(same(value[k], gold[k]) for k in value)
    return value == gold


def fits(value, gold) -> bool:
    """`value` is the gold value, or fits BFCL's nested form of it: a dict whose values are lists of
    acceptable values (`""`: may be absent), a list of such dicts."""
    if same(value, gold):
        return True
    if isinstance(value, dict) and isinstance(gold, dict) and gold and all(isinstance(v, list) for v in gold.values()):
        return (all(k in gold and any(fits(v, g) for g in gold[k] if g != OPTIONAL) for k, v in value.items())
                and all(k in value or OPTIONAL in g for k, g in gold.items()))
    if isinstance(value, list) and isinstance(gold, list) and len(value) == len(gold):
        return all(fits(v, g) for v, g in zip(value, gold))
    return False


TYPES = {"integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
         "array": "array", "tuple": "array", "object": "object", "dict": "object"}


def typed(value, schema: dict) -> bool:
    """`value` has the parameter's type (an integral float is an integer; an int is a number)."""
    kind = TYPES.get(schema.get("type") if isinstance(schema, dict) else None)
    if kind is None:
        return True
    if kind == "integer":
        return (_number(value) and float(value).is_integer())
    if kind == "number":
        return _number(value)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, (list, tuple))
    return isinstance(value, dict)


def match_call(call: dict, gold: dict, spec: dict | None) -> str | None:
    """Why `call` ({name, arguments}) does not match the gold call ({name: {param: [values]}}), or None.
    `spec`: the tool's function spec (its parameters' types and required list)."""
    (name, answer), = gold.items()
    if call.get("name") != name:
        return "wrong_tool"
    args = call.get("arguments") or {}
    params = (spec or {}).get("parameters") or {}
    props = params.get("properties") or {}
    if any(p not in args for p in params.get("required") or []):
        return "missing_required"
    for p, value in args.items():
        if p not in answer or (props and p not in props):
            return "unexpected_argument"
        if not typed(value, props.get(p, {})):
            return "wrong_type"
        if not any(fits(value, g) for g in answer[p] if g != OPTIONAL):
            return "wrong_value"
    if any(p not in args and OPTIONAL not in values for p, values in answer.items()):
        return "missing_argument"
    return None


def match_calls(calls: list[dict], golds: list[dict], specs: dict[str, dict]) -> str | None:
    """Why `calls` do not match `golds` in some order (each gold call matched by exactly one call),
    or None. An empty gold list means the right answer is no call (BFCL's irrelevance)."""
    if not golds:
        return "called_irrelevant" if calls else None
    if not calls:
        return "no_call"
    if len(calls) != len(golds):
        return "wrong_count"
    reasons = [[match_call(c, g, specs.get(next(iter(g)))) for g in golds] for c in calls]
    if _assign(reasons, 0, set()):
        return None
    if sorted(c.get("name", "") for c in calls) != sorted(next(iter(g)) for g in golds):
        return "wrong_tool"
    # the first reason of the call that matches no gold call of its own tool (the most telling one)
    for row in reasons:
        if all(r is not None for r in row):
            return next((r for r in row if r != "wrong_tool"), "wrong_tool")
    return next((r for row in reasons for r in row if r not in (None, "wrong_tool")), "wrong_value")


def _assign(reasons: list[list], i: int, used: set) -> bool:
    """A one-to-one assignment of calls i.. to unused gold calls that they match (backtracking: a
    handful of calls)."""
    if i == len(reasons):
        return True
    return any(reasons[i][j] is None and _assign(reasons, i + 1, used | {j})
               for j in range(len(reasons[i])) if j not in used)


def tools_match(calls: list[dict], golds: list[dict]) -> bool:
    """The same tools, as many times each, in any order."""
    return sorted(c.get("name", "") for c in calls) == sorted(next(iter(g)) for g in golds)
