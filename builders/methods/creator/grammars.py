"""GBNF grammars for CREATOR's two kinds of code, so that a small model's reply always has the
shape the method needs and only its content can be wrong.

- `TOOL`: optional imports of a few standard modules (or names that exist in them), then `def NAME(typed params) -> type:`, a
  one-line docstring, body lines and a closing top-level `return` (after it only the end of the
  reply may come). Creation and tool repair (rectification) are sampled with it.
- `decision(spec, numbers)`: one line, `print("Final Answer:", NAME(p1=…, p2=…))`, NAME and the
  parameters (all required ones, in order) taken from the tool's own spec, each value a literal of
  the parameter's JSON type; numbers only this problem's own (`problem_numbers`: those in its
  text, a percentage also as a fraction, and the small integers 0-12 that months, counts and
  implied coefficients need), possibly negated. So the decision always calls the tool with the
  problem's values and always prints an answer — which values go where, and what the tool does
  with them, stay the model's reasoning.

llama.cpp samples only tokens the grammar allows (builders/llm/engine.py, `Engine.chat(grammar=…)`).
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

MODULES = ("math", "datetime", "statistics", "fractions", "calendar")
FROM_IMPORTS = {"datetime": ("date", "datetime", "timedelta"), "math": ("sqrt", "floor", "ceil", "gcd", "lcm", "pi"),
                "statistics": ("mean", "median", "mode"), "fractions": ("Fraction",)}  # names that exist
PARAM_TYPES = ("float", "int", "str", "list[float]", "list[int]", "list[str]", "dict[str, float]",
               "dict[str, int]")
RETURN_TYPES = ("float", "int", "str", "list[float]")
MAX_PARAMS = 6
MAX_BODY_LINES = 8
MAX_ITEMS = 16  # a list or dict argument: a table's rows, not a runaway "1, 1, 1, …" past max_tokens
MAX_LINE = 100  # characters after the indent: with the line count, a reply fits max_tokens


def _common(number: str = '"-"? [0-9]+ ("." [0-9]+)?', integer: str = '"-"? [0-9]+') -> str:
    """The rules both grammars share; `number` and `integer` narrowed by a decision's own numbers."""
    return rf'''
ident ::= [a-z_] [a-z0-9_]{{0,30}}
number ::= {number}
integer ::= {integer}
string ::= "\"" [^"\\\n]* "\""
value ::= number | string | "[" (value (", " value)*)? "]" | "{{" (string ": " value (", " string ": " value)*)? "}}"
'''


def _alts(words) -> str:
    return " | ".join(json.dumps(w) for w in words)


def _upto(rule: str, n: int) -> str:
    """`rule` 0..n times, as nested optionals (no {m,n}: old llama.cpp builds lack it)."""
    out = ""
    for _ in range(n):
        out = f"({rule} {out})?" if out else f"({rule})?"
    return out


TOOL = rf'''
root ::= imports "def " fname "(" params ")" " -> " rettype ":\n" doc body ret
imports ::= {_upto("import-line", 2)}
import-line ::= ("import " module | {" | ".join(f'"from {m} import " ({_alts(names)}) (", " ({_alts(names)}))?' for m, names in FROM_IMPORTS.items())}) "\n"
module ::= {_alts(MODULES)}
params ::= param {_upto('", " param', MAX_PARAMS - 1)}
fname ::= [a-z] [a-z0-9_]{{2,40}}
param ::= ident ": " ptype
ptype ::= {_alts(PARAM_TYPES)}
rettype ::= {_alts(RETURN_TYPES)}
doc ::= "    \"\"\"" [A-Z] [^"\\\n]{{3,{MAX_LINE}}} "\"\"\"\n"
body ::= {_upto("line", MAX_BODY_LINES)}
line ::= "    " notreturn "\n"
notreturn ::= ([^r\n] | "r" [^e\n] | "re" [^t\n] | "ret" [^u\n]) [^\n]{{0,{MAX_LINE}}}
ret ::= "    return " [^\n]{{1,{MAX_LINE}}} "\n"
''' + _common()


_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(\s*%)?")
SMALL = tuple(str(i) for i in range(13))


def problem_numbers(text: str) -> list[str]:
    """The number literals a decision for this problem may use, longest first."""
    out = set(SMALL)
    for digits, percent in _NUMBER.findall(text or ""):
        plain = digits.replace(",", "")
        out.add(plain)
        if "." in plain:
            out.add(plain.rstrip("0").rstrip("."))   # 2.50 may be written 2.5, 3.00 as 3
        if percent:
            out.add(_decimal(Fraction(plain) / 100))
    return sorted(out, key=lambda n: (-len(n), n))


def _decimal(x: Fraction) -> str:
    text = f"{float(x):.10f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _numbers_rule(numbers: list[str] | None, integer: bool) -> str:
    if numbers is None:
        return "integer" if integer else "number"
    allowed = [n for n in numbers if not integer or "." not in n]
    return '"-"? (' + " | ".join(json.dumps(n) for n in allowed) + ")"


def _value_rule(schema: dict) -> str:
    """The literal a parameter of this JSON Schema takes."""
    kind = schema.get("type")
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "string":
        return "string"
    if kind == "array":
        item = _value_rule(schema.get("items") or {})
        return f'"[" ({item} (", " {item}){{0,{MAX_ITEMS - 1}}})? "]"'
    if kind == "object":
        item = _value_rule(schema.get("additionalProperties") or {}) \
            if isinstance(schema.get("additionalProperties"), dict) else "value"
        return f'"{{" (string ": " {item} (", " string ": " {item}){{0,{MAX_ITEMS - 1}}})? "}}"'
    return "value"


def decision(spec: dict, numbers: list[str] | None = None) -> str:
    """The grammar of a decision calling the tool `spec` (a function spec) by keyword; with
    `numbers`, numeric literals are only those (see problem_numbers)."""
    params = (spec.get("parameters") or {}).get("properties") or {}
    required = (spec.get("parameters") or {}).get("required") or list(params)
    args = [f"{json.dumps(name + '=')} ({_value_rule(params.get(name) or {})})" for name in required if name in params]
    call = ' ", " '.join(args) if args else ""
    head = json.dumps(f'print("Final Answer:", {spec["name"]}(')
    common = _common() if numbers is None else _common(_numbers_rule(numbers, False), _numbers_rule(numbers, True))
    return f"root ::= {head} {call} \"))\\n\"\n" + common
