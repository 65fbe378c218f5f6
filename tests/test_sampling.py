"""Grammar-last sampling on the embedded model: the same greedy text as llama-cpp-python's
grammar-first chain, valid JSON at any temperature, and the grammar consulted over the whole
vocabulary only for the tokens it rejects."""

import jsonschema
import pytest
from llama_cpp import Llama, LlamaGrammar

from builders.grammar import json_schema_to_gbnf
from builders.llm.engine import _quiet_stderr
from builders.methods.ste.trial import call_schema
from builders.llm.sampling import GrammarLast, GrammarLastLlama
from builders.tools import builtin_tools

pytestmark = pytest.mark.model

TOOL = builtin_tools()["date_arithmetic"]
MESSAGES = [{"role": "system", "content": "You call tools.\n" + TOOL.doc()},
            {"role": "user", "content": "How many days from 2024-01-01 to 2024-03-01?"}]


@pytest.fixture(scope="module")
def models(model_path):
    with _quiet_stderr():
        return (Llama(model_path=model_path, n_ctx=1024, n_threads=2, verbose=False),
                GrammarLastLlama(model_path=model_path, n_ctx=1024, n_threads=2, verbose=False))


def complete(llama, temperature, seed=0):
    grammar = LlamaGrammar.from_string(json_schema_to_gbnf(call_schema([TOOL])), verbose=False)
    llama.reset()
    out = llama.create_chat_completion(messages=MESSAGES, temperature=temperature, seed=seed, max_tokens=80,
                                       grammar=grammar)
    return out["choices"][0]["message"]["content"], out["usage"]["completion_tokens"]


def test_greedy_text_is_that_of_the_grammar_first_chain(models):
    first, last = models
    assert complete(last, 0.0) == complete(first, 0.0)


def test_sampled_calls_fit_the_schema_and_most_tokens_skip_the_full_grammar_pass(models):
    import json

    _, last = models
    fast = resampled = tokens = 0
    for seed in range(4):
        text, n = complete(last, 1.0, seed)
        jsonschema.validate(json.loads(text), call_schema([TOOL]))
        assert isinstance(last._sampler, GrammarLast)
        fast, resampled, tokens = fast + last._sampler.fast, resampled + last._sampler.resampled, tokens + n
    assert tokens > 40 and fast > tokens / 2 and fast + resampled >= tokens
