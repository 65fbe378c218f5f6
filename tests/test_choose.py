"""`choose`, the engines' log-probability seam: the options' log-probabilities as the reply's first
token, from the real model in `Engine` and `BatchEngine` alike, with prompt-prefix reuse; recorded and
replayed by the LLM-call cache like a chat call."""

import math

import pytest

from builders.llm import CachedEngine, Engine, Metered
from builders.llm.callcache import CallCache
from tests.scripted import ScriptedLLM

SYSTEM = {"role": "system", "content": "You answer questions about arithmetic with yes or no only."}
QUESTIONS = ["Is 2 + 2 equal to 4?", "Is 12 times 7 equal to 6?", "Is 10 greater than 3?"]


def ask(question: str) -> list[dict]:
    return [SYSTEM, {"role": "user", "content": question}]


def test_scripted_log_probabilities_are_normalised_over_the_options():
    llm = ScriptedLLM(scores=lambda m, o: {"yes": 2.0, "no": 0.0})
    out = llm.choose(ask(QUESTIONS[0]), ["yes", "no"])
    assert out.text == "yes" and out.finish_reason == "choice"
    assert math.isclose(math.exp(out.value["yes"]) + math.exp(out.value["no"]), 1.0)
    assert math.isclose(out.value["yes"] - out.value["no"], 2.0)


def test_the_call_cache_replays_a_choice(tmp_path):
    """A choice is keyed like a chat call, in the same chain, and its log-probabilities come back."""
    cache = CallCache(str(tmp_path / "calls.sqlite"))
    first = ScriptedLLM(scores=lambda m, o: {"yes": 1.5, "no": -0.5})
    engine = CachedEngine(first, cache, "model-sha")
    engine.begin_partition()
    made = [engine.choose(ask(q), ["yes", "no"]) for q in QUESTIONS]
    assert engine.misses == 3 and len(cache) == 3
    never = ScriptedLLM()  # no scores: any call that reaches it fails
    again = CachedEngine(never, cache, "model-sha")
    again.begin_partition()
    replayed = [again.choose(ask(q), ["yes", "no"]) for q in QUESTIONS]
    assert [r.value for r in replayed] == [m.value for m in made] and all(r.from_cache for r in replayed)
    assert [r.text for r in replayed] == ["yes"] * 3 and again.hits == 3
    other = CachedEngine(never, cache, "model-sha")  # other options: another key
    other.begin_partition()
    with pytest.raises(AssertionError):
        other.choose(ask(QUESTIONS[0]), ["no", "yes"])


def test_metered_counts_a_choice():
    engine = Metered(ScriptedLLM(scores=lambda m, o: {"yes": 0.0, "no": 0.0}))
    engine.choose(ask(QUESTIONS[0]), ["yes", "no"])
    assert engine.usage.calls == 1 and engine.usage.completion_tokens == 0


@pytest.mark.model
def test_engine_and_batch_engine_give_the_same_scores(model_path):
    """Cold, each prompt evaluated alone in both engines: the same logits (to float noise); warm,
    a prompt reuses the shared prefix in both engines alike. (Warm and cold differ a little: llama.cpp's
    quantized kernels round differently for a short batch, measured 0.16 logit on the 1.5B.)"""
    from builders.llm.batch import BatchEngine

    engine = Engine(model_path, n_threads=2)
    batcher = BatchEngine(model_path, n_threads=2, sequences=2)
    cold, batched = [], []
    for q in QUESTIONS:
        engine.forget_prefix()
        cold.append(engine.choose(ask(q), ["yes", "no"]))
        batcher.forget_prefix()
        batched.append(batcher.choose(ask(q), ["yes", "no"]))
    for a, b in zip(cold, batched):
        assert a.finish_reason == b.finish_reason == "choice" and a.completion_tokens == 0
        assert a.value["yes"] == pytest.approx(b.value["yes"], abs=1e-3), (a.value, b.value)
        assert math.isclose(math.exp(a.value["yes"]) + math.exp(a.value["no"]), 1.0, rel_tol=1e-6)
    assert len({round(c.value["yes"], 4) for c in cold}) == 3  # the question changes the score
    engine.forget_prefix()
    batcher.forget_prefix()
    for q in QUESTIONS:  # one after another: the system prompt's KV is reused
        warm, warm_batched = engine.choose(ask(q), ["yes", "no"]), batcher.choose(ask(q), ["yes", "no"])
        assert warm.value["yes"] == pytest.approx(warm_batched.value["yes"], abs=1e-3)
    assert warm.cached_tokens > 0 and warm_batched.cached_tokens > 0
    # a chat after a choice continues from the evaluated prompt, as after another chat
    assert engine.chat(ask(QUESTIONS[0]), temperature=0, max_tokens=4).cached_tokens > 0


@pytest.mark.model
def test_pinned_prefix_serves_a_choice(model_path):
    engine = Engine(model_path, n_threads=2)
    messages = [SYSTEM, {"role": "user", "content": "Is 1 + 1 equal to 2?"}, {"role": "assistant", "content": "yes"},
                {"role": "user", "content": QUESTIONS[1]}]
    engine.forget_prefix()
    first = engine.choose(messages, ["yes", "no"], pin=3)
    engine.forget_prefix()
    second = engine.choose(messages, ["yes", "no"], pin=3)
    assert second.cached_tokens > 0 and second.value["yes"] == pytest.approx(first.value["yes"], abs=1e-3)
