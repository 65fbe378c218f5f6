"""What every engine is: `LLM`, the interface stages and the pipeline use, and `Completion`, what
a call returns. The llama.cpp engine, the batching engine, the LLM-call cache and the meter
around them, and the tests' scripted engine all implement it (tests/test_engines.py checks each),
so a stage runs the same against any of them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Protocol


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    finish_reason: str = "stop"
    value: object = None  # the parsed JSON, for chat_json; None when it did not parse
    cached_tokens: int = 0  # prompt tokens whose KV came from the previous call (not evaluated again)
    from_cache: bool = False  # answered by the LLM-call cache (builders/llm/callcache.py), no model time
    # how widely it was batched: the generation steps that decoded it, and its share of them (1/width
    # of each; summed over calls, the number of steps), so mean batch width = decode_steps / step_share
    decode_steps: int = 0
    step_share: float = 0.0
    # where the model's time went: evaluating its prompt (pins included), and its share of the
    # generation steps that decoded it (each step's time / its width), so partitions batched
    # together sum to the context's busy time
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0

    @property
    def parsed(self) -> bool:
        return self.value is not None


class LLM(Protocol):
    """A chat model as stages see it. Its replies depend on the call and on the KV history since
    the last `forget_prefix` (kept context changes what llama.cpp samples), so the pipeline empties
    it at each partition's start."""

    def chat(self, messages: list[dict], *, temperature: float = 0.7, max_tokens: int = 160, seed: int = 0,
             schema: dict | None = None, grammar: str | None = None, pin: int = 0) -> Completion:
        """The reply to `messages` (chat dicts, formatted by the model's own template).

        schema   a JSON Schema: the reply is JSON of that schema (compiled to a llama.cpp grammar,
                 builders/grammar.py), well-formed unless cut off by `max_tokens`
        grammar  GBNF text, root rule `root`: the reply is in that language (the shape of a Python
                 function, a sentence without braces); at most one of `schema` and `grammar`
        pin      the first `pin` messages are a fixed beginning many work units share (few-shot
                 exchanges): their KV cache is kept for the engine's life instead of evaluated
                 again in every partition (builders/llm/prefixes.py, `Pins`); 0: none
        seed     with the KV history, decides what is sampled; temperature 0 is greedy
        """
        ...

    def chat_json(self, messages: list[dict], schema: dict, **kw) -> Completion:
        """`chat` under `schema`, its reply parsed into `Completion.value` (None when it does not
        parse: generation was cut off). Every engine shares `ChatJSON`'s."""
        ...

    def choose(self, messages: list[dict], options: list[str], *, pin: int = 0) -> Completion:
        """How likely the reply to `messages` is to start with each option: `value` is {option:
        log-probability of the reply's first token being that option's first token, normalised over
        the options}; `text` the likeliest option. No token is generated: the prompt is evaluated
        (reusing KV prefixes as `chat` does) and the last position's logits are read. A judge scores
        a yes/no question this way (a score, not a sampled word), so a threshold can be calibrated.
        The options' first tokens must differ. `pin` as in `chat`."""
        ...

    def forget_prefix(self) -> None:
        """The next call starts from an empty KV cache and no earlier reply, so what follows does not
        depend on what this engine (this thread's sequence, in the batching engine) ran before.
        Pins stay: whether a call uses one is decided from its tokens alone."""
        ...

    def begin_partition(self, from_cache: bool = True) -> None:
        """A partition starts, or starts over: `forget_prefix`, and whether the LLM-call cache may
        answer its calls. `from_cache=False` after `ChainBroken` (the cache served the partition up
        to a call it lacks): the partition is computed again whole, cold, its calls still recorded.
        An engine without a cache only forgets."""
        ...


def normalised(logits: dict[str, float]) -> dict[str, float]:
    """Log-probabilities over the options alone (log-softmax of their logits)."""
    top = max(logits.values())
    total = top + math.log(sum(math.exp(v - top) for v in logits.values()))
    return {k: v - total for k, v in logits.items()}


def chosen(options: list[str], logits: dict[str, float], prompt_tokens: int, seconds: float,
           cached_tokens: int = 0) -> Completion:
    """The Completion of a `choose` call, from its options' raw logits."""
    value = normalised(logits)
    return Completion(text=max(options, key=lambda o: value[o]), prompt_tokens=prompt_tokens, completion_tokens=0,
                      seconds=seconds, finish_reason="choice", value=value, cached_tokens=cached_tokens)


def parse_json(text: str):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


class ChatJSON:
    """`chat_json` written once, on top of the engine's own `chat`: engines inherit it."""

    def chat_json(self, messages: list[dict], schema: dict, **kw) -> Completion:
        """Grammar-constrained JSON. The value parses unless generation was cut off (max_tokens)."""
        completion = self.chat(messages, schema=schema, **kw)
        completion.value = parse_json(completion.text)
        return completion
