"""JSON Schema → llama.cpp grammar, with integer bounds.

llama-cpp-python's converter ignores `minimum` / `maximum` on integers (its own TODO), so a
schema-constrained call could still carry an out-of-range number. Integer ranges are regular
languages; `integer_range` writes one as alternatives of digit classes (the classic
"regex for a numeric range" construction) and `SchemaConverter` uses it for bounded integers.
"""

from __future__ import annotations

import json

from llama_cpp import llama_grammar

MAX_DIGITS = 15  # an unbounded side still stops at 15 digits: larger ints are not useful arguments
MAX_REPEAT = 256  # a longer maxLength / maxItems is left to jsonschema (see SchemaConverter.visit)


def _fixed(lo: str, hi: str) -> list[list[str]]:
    """Digit-class sequences covering [lo, hi], both of the same width (leading zeros allowed)."""
    if lo == hi:
        return [list(lo)]
    if len(lo) == 1:
        return [[f"[{lo}-{hi}]"]]
    if lo[0] == hi[0]:
        return [[lo[0], *p] for p in _fixed(lo[1:], hi[1:])]
    n = len(lo) - 1
    out, first, last = [], int(lo[0]), int(hi[0])
    if lo[1:] != "0" * n:
        out += [[lo[0], *p] for p in _fixed(lo[1:], "9" * n)]
        first += 1
    full_top = hi[1:] == "9" * n
    if first <= (last if full_top else last - 1):
        out.append([f"[{first}-{last if full_top else last - 1}]", *["[0-9]"] * n])
    if not full_top:
        out += [[hi[0], *p] for p in _fixed("0" * n, hi[1:])]
    return out


def _natural(lo: int, hi: int | None) -> list[list[str]]:
    """Sequences for lo ≤ x ≤ hi, x ≥ 0, no leading zeros; hi None means unbounded (≤ MAX_DIGITS)."""
    out = []
    top = hi if hi is not None else 10 ** MAX_DIGITS - 1
    for width in range(len(str(lo)), len(str(top)) + 1):
        a = max(lo, 10 ** (width - 1) if width > 1 else 0)
        b = min(top, 10 ** width - 1)
        if a <= b:
            out += _fixed(str(a), str(b))
    return out


def integer_sequences(minimum: int | None, maximum: int | None) -> list[list[str]]:
    """All integers in [minimum, maximum] (None = unbounded) as alternatives of digit classes."""
    out = []
    if minimum is None or minimum < 0:  # negative part: "-" then |x| in [max(1, -maximum), -minimum]
        neg_hi = None if minimum is None else -minimum
        neg_lo = 1 if maximum is None or maximum >= 0 else -maximum
        if neg_hi is None or neg_lo <= neg_hi:
            out += [["-", *p] for p in _natural(neg_lo, neg_hi)]
    if maximum is None or maximum >= 0:
        out += _natural(max(0, minimum if minimum is not None else 0), maximum)
    return out


def integer_rule(minimum: int | None, maximum: int | None) -> str:
    def token(t):
        return t if t.startswith("[") else json.dumps(t)

    return "(" + " | ".join(" ".join(token(t) for t in seq) for seq in integer_sequences(minimum, maximum)) + ")"


def _bounds(schema: dict) -> tuple[int | None, int | None]:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if "exclusiveMinimum" in schema:
        lo = max(lo if lo is not None else -10**18, int(schema["exclusiveMinimum"]) + 1)
    if "exclusiveMaximum" in schema:
        hi = min(hi if hi is not None else 10**18, int(schema["exclusiveMaximum"]) - 1)
    return (None if lo is None else int(-(-lo // 1))), (None if hi is None else int(hi // 1))


_LITERAL_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", '"': '\\"'}


class SchemaConverter(llama_grammar.SchemaConverter):
    """llama-cpp-python's converter, with integer bounds, and without large length bounds: it writes
    `maxLength: 100000` as 100,000 nested optional rules, which llama.cpp cannot load (the process
    dies in llama_sampler_init_grammar). Generation stops at max_tokens long before such a bound, and
    the call's arguments are validated with jsonschema before it runs, so the bound still holds.

    Its literals also escape backslashes (llama-cpp-python 0.3.16 escapes only quotes and line
    breaks): a `const` or `enum` string holding a quote is a JSON literal with `\\"` in it, which
    otherwise ended the grammar's literal early, and llama.cpp could not parse the grammar (met
    when a stateful call's grounded values came from an earlier JSON result)."""

    def _format_literal(self, literal):
        return '"' + "".join(_LITERAL_ESCAPES.get(c, c) for c in literal) + '"'

    def visit(self, schema, name):
        if isinstance(schema, dict) and any(schema.get(k, 0) > MAX_REPEAT for k in ("maxLength", "maxItems")):
            schema = {k: v for k, v in schema.items() if not (k in ("maxLength", "maxItems") and v > MAX_REPEAT)}
        bounded = any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
        if schema.get("type") == "integer" and bounded:
            rule_name = name + "-" if name in llama_grammar.RESERVED_NAMES else name or "root"
            return self._add_rule(rule_name, integer_rule(*_bounds(schema)) + " space")
        return super().visit(schema, name)


def json_schema_to_gbnf(schema: dict) -> str:
    converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    resolved = converter.resolve_refs(schema, "schema")
    converter.visit(resolved, "")
    return json_chars(converter.format_grammar())


def json_chars(gbnf: str) -> str:
    """llama-cpp-python 0.3.16's string `char` is `[^"\\]`, which lets a raw newline or other control
    character into a JSON string, and the reply does not parse (measured: SmolLM2 wrote
    `{"city": ");` + newline + `" ...}` at temperature 1). JSON forbids them unescaped; llama.cpp's own
    converter excludes them too."""
    return gbnf.replace(r'char ::= [^"\\] |', r'char ::= [^"\\\x7F\x00-\x1F] |', 1)
