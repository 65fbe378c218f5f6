"""One small STE episode through the whole method with the real embedded model and the real sandbox."""

import re

import pytest

from builders.judge import judge
from builders.llm import Metered, get_engine
from builders.methods.grounding import stated_numbers
from builders.methods.ste import METHOD as STE
from builders.methods.ste.query import CHARS
from builders.methods.ste.records import Demonstration, Episode, Example
from sandbox import Limits, Sandbox
from tests.methods.ste.helpers import context, unit


@pytest.mark.model
def test_one_episode_with_the_real_model(model_path):
    engine = Metered(get_engine(model_path, n_threads=1))
    engine.forget_prefix()  # the process's engine may hold another test's KV cache, which changes what it samples
    with Sandbox(Limits(wall_s=3)) as box:
        ctx = context(engine, box, queries_per_episode=2, max_calls_per_query=2, paraphrases=1, temperature=0.7,
                      max_tokens=96, candidates=2)
        records = [judge(r, STE.checks) for r in STE.run([unit("convert_units", 0)], ctx)]
        bank = [judge(r, STE.checks) for r in STE.derive([r for r in records if r.accepted], ctx)]
    examples = [r for r in records if isinstance(r, Example)]
    [ep] = [r for r in records if isinstance(r, Episode)]
    assert ep.accepted and len(ep.steps) == 2 and len(examples) >= 2
    assert engine.usage.calls >= 4 and ep.prompt_tokens > 0
    for ex in examples:
        assert ex.accepted or ex.reasons, ex
        if ex.query and not ex.paraphrase_of:  # the grammar held: words, spaces and plain punctuation only
            assert re.fullmatch(rf"[A-Z]\S*( {CHARS}+)+[?.]", ex.query), ex.query
            assert not re.search(r"[{}\[\]_=:]", ex.query)
        for call in ex.trials:
            assert call.status in ("ok", "invalid", "error", "timeout"), call
            if call.status == "ok" and not ex.paraphrase_of:   # the grounded grammar held: the query's value
                assert call.arguments["value"] in stated_numbers(ex.query), (call.arguments, ex.query)
        for candidate in ex.candidates:                        # best of n: what was discarded, and why
            assert candidate["stage"] in ("query", "answer") and candidate["reasons"], candidate
        if ex.reflection:
            assert isinstance(ex.reflection["solved"], bool)
        if ex.accepted:
            assert ex.verdict == {"informative": "yes", "faithful": "yes", "appropriate": "yes"}
            assert [m["role"] for m in ex.messages][-3:] == ["assistant", "tool", "assistant"]
    assert all(isinstance(d, Demonstration) and d.accepted for d in bank)
    assert len(bank) == sum(e.accepted for e in examples)
