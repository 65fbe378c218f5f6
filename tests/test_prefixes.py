"""The KV prefix store on the embedded model: a prompt starts from the earlier prompt it shares the
most with, not only from the call just before, and what it restores is exactly that KV cache."""

import pytest

from builders import llm
from builders.llm.prefixes import PrefixStore
from builders.tools import builtin_tools

pytestmark = pytest.mark.model

DOCS = "You answer requests by calling a tool. Tools:\n" + "\n".join(t.doc() for t in builtin_tools().values())[:1500]
OTHER = "You write questions that a user could ask. " + "\n".join(t.description for t in builtin_tools().values())[:1200]


@pytest.fixture(scope="module")
def engine(model_path):
    return llm.Engine(model_path, n_threads=2)


def ask(engine, system, question):
    return engine.chat([{"role": "system", "content": system}, {"role": "user", "content": question}],
                       seed=0, temperature=0.0, max_tokens=16)


def test_a_prompt_starts_from_the_stored_prefix_it_shares_most_with(engine):
    engine.forget_prefix()
    ask(engine, DOCS, "What is 6*7?")
    ask(engine, OTHER, "Write one question.")  # the KV cache in place now holds another beginning
    again = ask(engine, DOCS, "How many days from 2024-01-01 to 2024-03-01?")
    assert again.prompt_tokens * 0.8 < again.cached_tokens < again.prompt_tokens
    assert engine.prefixes.restored >= again.cached_tokens - 16


def test_a_restored_prefix_is_the_kv_cache_that_evaluating_it_left(engine):
    """The same call after a restored prefix and right after the prefix's own call: same text."""
    def last(between: bool):
        engine.forget_prefix()
        ask(engine, DOCS, "What is 6*7?")
        if between:
            ask(engine, OTHER, "Write one question.")
        return ask(engine, DOCS, "Convert 5 miles to kilometres.")

    direct, restored = last(False), last(True)
    assert restored.cached_tokens == direct.cached_tokens
    assert restored.text == direct.text


def test_forgetting_empties_the_store_and_the_naive_engine_keeps_none(engine, model_path):
    ask(engine, DOCS, "What is 6*7?")
    engine.forget_prefix()
    assert engine.prefixes.prefixes == []
    assert ask(engine, DOCS, "What is 6*7?").cached_tokens == 0
    assert llm.Engine(model_path, n_threads=2, reuse_prefix=False).prefixes is None


def test_the_store_keeps_within_its_budget_and_replaces_a_prefix_it_extends(engine):
    engine.forget_prefix()
    store = engine.prefixes
    ask(engine, DOCS, "What is 6*7?")
    one = store.prefixes[0]
    small = PrefixStore(budget=2 * len(one.state) - 1)

    def keep(store):
        store.keep(engine.llama._ctx.ctx, engine.llama.input_ids[: engine.llama.n_tokens].tolist(), 0)

    keep(small)
    used = small.prefixes[0].used
    keep(small)  # the same KV cache again: kept once, counted as used now
    assert len(small.prefixes) == 1 and small.prefixes[0].used > used
    ask(engine, DOCS, "What is 7*6?")
    keep(small)
    assert len(small.prefixes) == 1 and small.prefixes[0].tokens != one.tokens  # the older one made room
    extended = PrefixStore()
    extended.prefixes = [type(one)(one.tokens[:10], one.state)]
    keep(extended)
    assert [len(p.tokens) for p in extended.prefixes] == [engine.llama.n_tokens]


SHOTS = [{"role": "system", "content": "You write questions that people ask a helpful assistant."},
         *[m for q in ("How much is 250 US dollars in euros today?", "What does the word ephemeral mean?",
                       "How long is a flight from Lisbon to Oslo?")
           for m in ({"role": "user", "content": "Write a question."}, {"role": "assistant", "content": q})]]


def imagine(engine, task):
    return engine.chat([*SHOTS, {"role": "user", "content": f"Task: {task}\nWrite a question."}],
                       seed=3, temperature=0.7, max_tokens=24, pin=len(SHOTS))


def test_a_pinned_prefix_outlives_forgetting_and_gives_the_same_text_as_a_fresh_process(engine, model_path):
    engine.forget_prefix()
    engine.pins.states.clear()
    first = imagine(engine, "Convert units of length.")
    assert first.cached_tokens == 0 and engine.pins.evaluated == 1  # evaluated once, here
    engine.forget_prefix()  # a new partition: the store is emptied, the pin is not
    served = imagine(engine, "Add two dates.")
    assert engine.pins.evaluated == 1 and served.cached_tokens > 60
    fresh = llm.Engine(model_path, n_threads=2)  # a process that never held the pin evaluates it itself
    assert imagine(fresh, "Add two dates.").text == served.text
    assert fresh.pins.evaluated == 1


def test_a_longer_prefix_in_place_beats_the_pin(engine):
    engine.forget_prefix()
    imagine(engine, "Convert units of length.")
    again = imagine(engine, "Convert units of length.")
    assert again.cached_tokens == again.prompt_tokens - 1  # the whole prompt but its last token


CALL = {"type": "object", "properties": {"name": {"const": "convert_units"}, "arguments": {
    "type": "object", "properties": {"value": {"type": "number"}, "from_unit": {"type": "string", "maxLength": 12},
                                     "to_unit": {"type": "string", "maxLength": 12}},
    "required": ["value", "from_unit", "to_unit"], "additionalProperties": False}},
    "required": ["name", "arguments"], "additionalProperties": False}


def conversation(engine):
    """A call under a JSON grammar, then a prompt that continues the conversation after it."""
    asked = [{"role": "system", "content": DOCS}, {"role": "user", "content": "Convert 5 miles to kilometres."}]
    call = engine.chat(asked, schema=CALL, seed=1, temperature=1.0, max_tokens=96)
    assert call.finish_reason == "stop", call.text  # a reply cut off is not kept for reuse: the test needs it whole
    follow = [*asked, {"role": "assistant", "content": call.text},
              {"role": "user", "content": 'Result: {"value": 8.05}\nDid the call fulfil the request? Yes or no.'}]
    return call, engine.chat(follow, seed=11, temperature=0.0, max_tokens=8)


def test_a_reply_in_a_later_prompt_keeps_the_tokens_it_was_generated_as(engine):
    """The grammar makes the model write its JSON in other tokens than the template's tokenization of
    the same text: the next prompt holds the generated ones, so its cache match runs through the reply."""
    engine.forget_prefix()
    call, follow = conversation(engine)
    generated = engine.replies.tokens[call.text]
    assert generated != engine.llama.tokenize(call.text.encode(), add_bos=False, special=False)
    assert engine.replies.spliced == 1
    assert follow.cached_tokens == call.prompt_tokens + call.completion_tokens  # prompt and reply, all of it
    engine.forget_prefix()  # a new partition: earlier replies count no more
    assert engine.replies.tokens == {}
