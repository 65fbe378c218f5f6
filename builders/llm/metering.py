"""Counting what the model did: token and time totals of a record's or a partition's calls, and the
engine wrapper that counts every call passing through it."""

from __future__ import annotations

from builders.llm.protocol import LLM, ChatJSON, Completion


class Usage:
    """Token and time totals of a set of completions (one record's, or one partition's)."""

    def __init__(self):
        self.prompt_tokens = self.completion_tokens = self.calls = 0
        self.seconds = 0.0

    def add(self, completion: Completion) -> Completion:
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.seconds += completion.seconds
        self.calls += 1
        return completion


class ModelWork(Usage):
    """What the model itself did: calls answered by the LLM-call cache count as hits only, and
    `cached_tokens` are the prompt tokens served from the KV cache of the call before.
    `sequence_steps` / `generation_steps` is the mean batch width of its generation steps: each call
    brings the steps that decoded it and its share of them (`Completion.decode_steps`, `step_share`),
    so partitions batched together in one context sum to the context's steps without counting
    a shared step twice; `prompt_seconds` and `generation_seconds` sum the model's time the same way."""

    def __init__(self):
        super().__init__()
        self.cached_tokens = self.cache_hits = self.sequence_steps = 0
        self.generation_steps = self.prompt_seconds = self.generation_seconds = 0.0

    def add(self, completion: Completion) -> Completion:
        if completion.from_cache:
            self.cache_hits += 1
            self.calls += 1
            return completion
        self.cached_tokens += completion.cached_tokens
        self.sequence_steps += completion.decode_steps
        self.generation_steps += completion.step_share
        self.prompt_seconds += completion.prompt_seconds
        self.generation_seconds += completion.generation_seconds
        return super().add(completion)


class Metered(ChatJSON):
    """An engine that counts what passes through it: the pipeline wraps each partition's engine
    in one, so token totals need no help from the method."""

    def __init__(self, engine: LLM, usage: ModelWork | None = None):
        self.engine = engine
        self.usage = usage if usage is not None else ModelWork()  # a judge's engine counts into the same work

    def chat(self, messages, **kw) -> Completion:
        return self.usage.add(self.engine.chat(messages, **kw))

    def choose(self, messages, options, *, pin: int = 0) -> Completion:
        return self.usage.add(self.engine.choose(messages, options, pin=pin))

    def forget_prefix(self) -> None:
        self.engine.forget_prefix()

    def begin_partition(self, from_cache: bool = True) -> None:
        self.engine.begin_partition(from_cache)
