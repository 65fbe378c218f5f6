"""The real engine on the embedded model: grammar-constrained JSON, seeds, token counts, caching."""

import jsonschema
import pytest

from builders import llm
from builders.llm import get_engine
from builders.machine import threads_per_process
from builders.methods.ste.trial import call_schema
from builders.tools import builtin_tools

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def engine(model_path):
    return get_engine(model_path, n_threads=2)


def test_threads_keep_processes_times_threads_within_cores():
    assert threads_per_process(1, available=2) == 2
    assert threads_per_process(2, available=2) == 1
    assert threads_per_process(4, available=2) == 1
    assert threads_per_process(2, available=16) == 8


def test_engine_is_loaded_once_per_process(engine, model_path):
    assert get_engine(model_path, n_threads=2) is engine


SCHEMAS = [
    {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                                      "nights": {"type": "integer", "minimum": 1, "maximum": 14},
                                      "room": {"enum": ["single", "double", "suite"]}},
     "required": ["city", "nights", "room"], "additionalProperties": False},
    {"type": "object", "properties": {"items": {"type": "array", "minItems": 1, "maxItems": 3,
                                                "items": {"type": "object", "properties": {"sku": {"type": "string", "maxLength": 12},
                                                                                           "qty": {"type": "integer", "minimum": 1, "maximum": 9}},
                                                          "required": ["sku", "qty"], "additionalProperties": False}}},
     "required": ["items"], "additionalProperties": False},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_json_output_always_matches_its_schema(engine, schema):
    messages = [{"role": "user", "content": "Book me something for next week. Reply in JSON."}]
    for seed in range(3):
        out = engine.chat_json(messages, schema, seed=seed, temperature=1.0, max_tokens=200)
        assert out.parsed, out.text
        jsonschema.validate(out.value, schema)
        assert out.prompt_tokens > 5 and out.completion_tokens > 0


def test_tool_calls_fit_the_tool_parameters(engine):
    tools = builtin_tools()
    for name in ("calculator", "convert_units", "date_arithmetic"):
        schema = call_schema([tools[name]])
        out = engine.chat_json([{"role": "user", "content": f"Use {name}. Reply with the call as JSON."}],
                               schema, seed=1, temperature=0.8, max_tokens=120)
        assert out.value["name"] == name
        jsonschema.validate(out.value["arguments"], tools[name].parameters,
                            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_seeded_sampling_is_reproducible(engine):
    messages = [{"role": "user", "content": "Name a fruit and a colour."}]
    first = engine.chat(messages, seed=42, temperature=1.0, max_tokens=24).text
    again = engine.chat(messages, seed=42, temperature=1.0, max_tokens=24).text
    others = {engine.chat(messages, seed=s, temperature=1.0, max_tokens=24).text for s in range(4)}
    assert first == again
    assert len(others) > 1  # the seed really drives sampling


def test_cut_off_json_is_reported_not_parsed(engine):
    schema = {"type": "object", "properties": {"text": {"type": "string", "minLength": 200}}, "required": ["text"]}
    out = engine.chat_json([{"role": "user", "content": "Write a long story as JSON."}], schema, max_tokens=8, seed=0)
    assert out.finish_reason == "length" and out.value is None
    assert llm.parse_json(out.text) is None


DOCS = ("You answer requests by calling a tool. Tools:\n" + "\n".join(t.doc() for t in builtin_tools().values())[:1500])


def test_a_shared_prompt_prefix_is_served_from_the_kv_cache_and_a_sequence_repeats(engine):
    """llama-cpp-python keeps the previous call's KV cache and evaluates only the new suffix. The
    sample then depends on that history (measured: the same prompt cold and warm can differ), so
    the pipeline empties it at each partition's start: the same calls from there give the same text."""
    def ask(question, seed):
        return engine.chat([{"role": "system", "content": DOCS}, {"role": "user", "content": question}],
                           seed=seed, temperature=1.0, max_tokens=12)

    runs = []
    for _ in range(2):
        engine.forget_prefix()
        first = ask("What is 6*7?", 0)
        warm = ask("How many days from 2024-01-01 to 2024-03-01?", 0)
        assert first.cached_tokens == 0
        assert warm.prompt_tokens * 0.8 < warm.cached_tokens < warm.prompt_tokens
        runs.append((first.text, warm.text))
    assert runs[0] == runs[1]


def test_without_prefix_reuse_every_prompt_token_is_evaluated(model_path):
    naive = llm.Engine(model_path, n_threads=2, reuse_prefix=False)
    messages = [{"role": "system", "content": DOCS}, {"role": "user", "content": "What is 6*7?"}]
    naive.chat(messages, max_tokens=4)
    assert naive.chat(messages, max_tokens=4).cached_tokens == 0


def test_the_call_cache_returns_the_models_own_completion(engine, tmp_path):
    from builders.llm.callcache import CachedEngine, CallCache

    cached = CachedEngine(engine, CallCache(str(tmp_path / "calls.sqlite")), model_key="smollm2")
    schema = SCHEMAS[0]
    messages = [{"role": "user", "content": "Book a room. Reply in JSON."}]
    cached.forget_prefix()  # a partition starts: the KV cache is empty
    made = cached.chat_json(messages, schema, seed=3, temperature=1.0, max_tokens=80)
    cached.forget_prefix()  # the same partition again (a re-run with other filters)
    again = cached.chat_json(messages, schema, seed=3, temperature=1.0, max_tokens=80)
    assert not made.from_cache and again.from_cache and cached.hits == 1
    assert (again.text, again.value, again.prompt_tokens, again.completion_tokens) == \
           (made.text, made.value, made.prompt_tokens, made.completion_tokens)
    engine.forget_prefix()
    assert engine.chat_json(messages, schema, seed=3, temperature=1.0, max_tokens=80).text == made.text


LONG = [{"role": "system", "content": "You are a careful assistant. " * 40},
        {"role": "user", "content": "Name a colour."}]


def test_a_call_reports_the_models_time_on_its_prompt_and_on_generating(engine):
    """From llama.cpp's own clocks: a cold prompt of ~300 tokens costs prompt time; the same prompt
    again (only its last token evaluated) almost none, and the generation time grows with the tokens."""
    engine.forget_prefix()
    cold = engine.chat(LONG, max_tokens=4, temperature=0)
    warm = engine.chat(LONG, max_tokens=40, temperature=0)
    for c in (cold, warm):
        assert c.prompt_seconds >= 0 and c.generation_seconds > 0
        assert c.prompt_seconds + c.generation_seconds <= c.seconds
    assert warm.cached_tokens == warm.prompt_tokens - 1
    assert cold.prompt_seconds > 10 * warm.prompt_seconds
    assert warm.completion_tokens > cold.completion_tokens
    assert warm.generation_seconds > cold.generation_seconds
    engine.forget_prefix()
    choice = engine.choose(LONG, ["red", "blue"])
    assert 0 < choice.prompt_seconds <= choice.seconds and choice.generation_seconds == 0
