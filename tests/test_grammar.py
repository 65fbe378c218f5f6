import re

import pytest

from builders.grammar import integer_sequences, json_schema_to_gbnf


def as_regex(minimum, maximum):
    alternatives = ["".join(t if t.startswith("[") else re.escape(t) for t in seq)
                    for seq in integer_sequences(minimum, maximum)]
    return re.compile("(?:" + "|".join(alternatives) + ")")


@pytest.mark.parametrize("minimum,maximum", [
    (0, 0), (1, 14), (0, 9), (5, 5), (7, 1234), (-100000, 100000), (-37, -4), (-5, 12), (10, 99), (100, 1000),
    (19, 201), (1, None), (None, 7), (None, -3), (-12, None), (None, None), (999, 1001),
])
def test_integer_ranges_match_exactly_their_members(minimum, maximum):
    pattern = as_regex(minimum, maximum)
    lo = (minimum if minimum is not None else -3000) - 150
    hi = (maximum if maximum is not None else 3000) + 150
    for x in range(lo, hi + 1):
        inside = (minimum is None or x >= minimum) and (maximum is None or x <= maximum)
        assert bool(pattern.fullmatch(str(x))) == inside, (minimum, maximum, x)
    assert not pattern.fullmatch("007")  # no leading zeros
    if minimum is None or minimum <= 0 <= (maximum if maximum is not None else 1):
        assert not pattern.fullmatch("-0")


def test_bounded_integers_become_range_rules():
    gbnf = json_schema_to_gbnf({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 14}},
                                "required": ["n"]})
    assert '[1-9]' in gbnf and '"1" [0-4]' in gbnf
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(gbnf, verbose=False)  # llama.cpp accepts it


_EVERY_TOOL = """
import sys
from builders.llm import Engine
from builders.methods.ste.trial import call_schema
from builders.tools.catalogue import builtin_tools

engine = Engine(sys.argv[1], n_ctx=512, n_threads=1)
for name, tool in sorted(builtin_tools().items()):
    engine.chat_json([{"role": "user", "content": "Call " + name}], call_schema([tool]), max_tokens=2, temperature=0)
    print(name, flush=True)
"""


def test_every_built_in_tool_s_call_grammar_loads_in_llama_cpp(model_path):
    """A grammar llama.cpp cannot load kills the process (hash_text's maxLength 100000 did, in
    llama_sampler_init_grammar), so each tool's call grammar is used once, in a child process."""
    import subprocess
    import sys

    from builders.tools.catalogue import builtin_tools

    proc = subprocess.run([sys.executable, "-c", _EVERY_TOOL, model_path], capture_output=True, text=True, timeout=600)
    done = proc.stdout.split()
    assert proc.returncode == 0 and done == sorted(builtin_tools()), (proc.returncode, done[-1:], proc.stderr[-500:])


def test_long_length_bounds_are_left_to_jsonschema():
    grammar = json_schema_to_gbnf({"type": "object", "properties": {"text": {"type": "string", "maxLength": 100000},
                                                                    "tags": {"type": "array", "maxItems": 5000}},
                                   "required": ["text", "tags"]})
    assert len(grammar) < 2000
    short = json_schema_to_gbnf({"type": "string", "maxLength": 3})
    assert short.count("char") >= 3  # a short bound is still written out


_QUOTED = """
import json, sys
from builders.llm import Engine
engine = Engine(sys.argv[1], n_ctx=512, n_threads=1)
schema = json.loads(sys.argv[2])
out = engine.chat_json([{"role": "user", "content": "Pick a path."}], schema, max_tokens=24, temperature=0)
print(json.dumps(out.value))
try:
    engine.chat([{"role": "user", "content": "Hi"}], grammar='root ::= "a" "b', max_tokens=2)
except ValueError as exc:
    print("refused:", str(exc)[:40])
from builders.llm.batch import BatchEngine
batch = BatchEngine(sys.argv[1], n_ctx=512, n_threads=1, sequences=1)
try:
    batch.chat([{"role": "user", "content": "Hi"}], grammar='root ::= "a" "b', max_tokens=2)
except ValueError as exc:
    print("batch refused:", str(exc)[:40])
"""


def test_literals_with_quotes_and_backslashes_load_and_come_out_whole(model_path):
    """Grounded values come from the user's words and earlier results, which may hold quotes
    (`{"path` from a JSON result) or backslashes; their grammar literals must still parse. And a
    grammar llama.cpp cannot parse is refused with a ValueError, not a dead process (in a child
    process: without the check it would take pytest down)."""
    import json
    import subprocess
    import sys

    choices = ['{"path', 'C:\\\\temp\\\\a "b"', "plain"]
    schema = {"type": "object", "properties": {"path": {"enum": choices}}, "required": ["path"],
              "additionalProperties": False}
    assert '\\\\\\"' in json_schema_to_gbnf(schema)  # the JSON escape's backslash, then the quote, escaped
    proc = subprocess.run([sys.executable, "-c", _QUOTED, model_path, json.dumps(schema)], capture_output=True,
                          text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stderr[-800:]
    assert json.loads(lines[0])["path"] in choices
    assert lines[1].startswith("refused: llama.cpp could not parse the grammar")
    assert lines[2].startswith("batch refused: llama.cpp could not parse the grammar")  # the batching engine too


def test_a_json_string_cannot_hold_a_raw_newline(model_path):
    """JSON forbids control characters inside strings. llama-cpp-python's converter allowed them, and
    SmolLM2 at temperature 1 wrote a newline into a string (the reply did not parse). The grammar's
    `char` excludes them, llama.cpp parses it, and a reply the model is pushed to break across lines
    still parses."""
    import json

    from builders.llm import Engine

    schema = {"type": "object", "properties": {"poem": {"type": "string", "maxLength": 60}}, "required": ["poem"],
              "additionalProperties": False}
    assert r'char ::= [^"\\\x7F\x00-\x1F]' in json_schema_to_gbnf(schema)
    engine = Engine(model_path, n_threads=2)
    ask = [{"role": "user", "content": "Write a poem of three short lines, one per line, as JSON: {\"poem\": ...}"}]
    for seed in range(4):
        out = engine.chat_json(ask, schema, seed=seed, temperature=1.0, max_tokens=80)
        assert out.finish_reason == "length" or json.loads(out.text)["poem"] is not None, out.text
