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
