"""The llama.cpp engine: one loaded model per process, chat with the model's own template,
JSON constrained by a JSON Schema (llama.cpp grammar) or any text by a raw GBNF grammar, seeded
sampling, token counts per call.

Stage functions only see the `LLM` interface (builders/llm/protocol.py), so tests can drive them
with a scripted LLM (tests/scripted.py) and the pipeline with the real one.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

from builders.llm import loaded
from builders.llm.prefixes import Pins, PrefixStore, Replies, common_prefix
from builders.llm.protocol import ChatJSON, Completion, chosen


@contextmanager
def _quiet_stderr():
    """llama.cpp prints context warnings from C even with verbose=False; keep the terminal clean."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _Prompt(Exception):
    """Carries what a chat handler would have passed to `create_completion`."""

    def __init__(self, kwargs):
        super().__init__("prompt")
        self.kwargs = kwargs


class _PromptOf:
    """The Llama object as a chat handler sees it, except that `create_completion` hands back its
    arguments: so the prompt is formatted and tokenized by exactly the code a chat call uses."""

    def __init__(self, llama):
        self._llama = llama

    def __getattr__(self, name):
        return getattr(self._llama, name)

    def create_completion(self, **kwargs):
        raise _Prompt(kwargs)


def prompt_of(llama, messages: list[dict]) -> tuple[list[int], list[bytes]]:
    """The prompt tokens and stop strings of a chat call, through the model's own chat handler."""
    from llama_cpp import llama_chat_format

    handler = (llama.chat_handler or llama._chat_handlers.get(llama.chat_format)
               or llama_chat_format.get_chat_completion_handler(llama.chat_format))
    try:
        handler(llama=_PromptOf(llama), messages=messages)
    except _Prompt as p:
        stop = p.kwargs.get("stop") or []
        stop = [stop] if isinstance(stop, str) else stop
        prompt = p.kwargs["prompt"]
        prompt = llama.tokenize(prompt.encode(), special=True) if isinstance(prompt, str) else list(prompt)
        return prompt, [s.encode() for s in stop]
    raise RuntimeError("the chat handler did not ask for a completion")


def first_tokens(llama, options: list[str]) -> list[int]:
    """Each option's first token as a reply starts with it; `choose` compares these."""
    first = [llama.tokenize(option.encode(), add_bos=False, special=False)[0] for option in options]
    if len(set(first)) < len(first):
        raise ValueError(f"options {options!r} start with the same token: choose cannot tell them apart")
    return first


def pinned(llama, messages: list[dict], pin: int, prompt: list[int]) -> list[int]:
    """The tokens of `prompt` (the tokens of `messages`) that its first `pin` messages make: the
    pinned prefix (builders/llm/prefixes.py, `Pins`); none when `pin` is 0."""
    return prompt[: common_prefix(prompt_of(llama, messages[:pin])[0], prompt)] if pin else []


class Engine(ChatJSON):
    """A loaded GGUF model. Build one through `get_engine` so each process loads it once.

    Prompt reuse: llama-cpp-python (0.3.16, `Llama.generate`) keeps the KV cache of the previous
    prompt and completion and evaluates only the tokens after the longest common prefix with the new
    prompt. The engine also keeps the KV caches of earlier prompts (builders/llm/prefixes.py) and starts
    a prompt from whichever shares the most with it. So prompts that start alike (instructions and
    tool documentation first, the variable part last) cost only their differing suffix.
    A call's first `pin` messages, when it says they are a fixed beginning shared across work units
    (few-shot exchanges), are kept for the engine's life as a pinned prefix (`Pins`).
    `reuse_prefix=False` forgets all of it before each call (the naive baseline). Each Completion
    reports `cached_tokens`, the prompt tokens not evaluated.
    """

    def __init__(self, model_path: str, n_ctx: int = 2048, n_threads: int = 1, chat_format: str | None = None,
                 reuse_prefix: bool = True):
        from builders.llm.sampling import GrammarLastLlama

        self.model_path = model_path
        self.n_threads = n_threads
        self.reuse_prefix = reuse_prefix
        with _quiet_stderr():
            self.llama = GrammarLastLlama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads,
                                          n_threads_batch=n_threads, chat_format=chat_format, verbose=False)
        self._grammars: dict[str, object] = {}
        self._lock = threading.Lock()  # a Dask worker with several threads must not share a context at once
        self.prefixes = PrefixStore() if reuse_prefix else None
        self.pins = Pins()
        self.replies = Replies()

    def forget_prefix(self) -> None:
        """Start the next call from an empty KV cache (a partition starts alike wherever it runs)."""
        self.llama.reset()
        self.replies.clear()
        if self.prefixes is not None:
            self.prefixes.clear()

    def begin_partition(self, from_cache: bool = True) -> None:
        """No cache here: the partition starts from an empty KV cache."""
        self.forget_prefix()

    def _restore(self, prompt: list[int], pin: list[int]) -> int:
        """Start from the pinned prefix or the stored prefix that serves `prompt` best, when it beats
        the KV cache in place. Returns how many tokens of a pin were evaluated here (its first use in
        this engine), which are not served from a cache."""
        llama = self.llama

        def evaluate(tokens: list[int]) -> None:
            llama.reset()
            llama.eval(tokens)

        held, evaluated = self.prefixes.start(llama._ctx.ctx, 0, llama.input_ids[: llama.n_tokens].tolist(), prompt,
                                              pin, self.pins, evaluate)
        if held is not None:
            llama.input_ids[: len(held)] = held
            llama.n_tokens = len(held)
        return evaluated

    def _grammar(self, schema: dict | None = None, gbnf: str | None = None):
        from llama_cpp import LlamaGrammar

        from builders.grammar import json_schema_to_gbnf

        key = gbnf if gbnf is not None else json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            text = gbnf if gbnf is not None else json_schema_to_gbnf(schema)
            check_grammar(self.llama._model.vocab, text)
            with _quiet_stderr():
                self._grammars[key] = LlamaGrammar.from_string(text, verbose=False)
        return self._grammars[key]

    def chat(self, messages: list[dict], *, temperature: float = 0.7, max_tokens: int = 160,
             seed: int = 0, schema: dict | None = None, grammar: str | None = None, pin: int = 0) -> Completion:
        """As `LLM.chat`: a JSON `schema` or a GBNF `grammar`, and the first `pin` messages pinned
        (see the class)."""
        if schema is not None and grammar is not None:
            raise ValueError("chat takes a JSON schema or a GBNF grammar, not both")
        with self._lock:
            start, clock = time.perf_counter(), self._model_clock()
            grammar = self._grammar(schema) if schema is not None else (
                self._grammar(gbnf=grammar) if grammar is not None else None)
            evaluated = 0
            if not self.reuse_prefix:
                self.llama.reset()
            else:
                prompt = self.replies.splice(self.llama, prompt_of(self.llama, messages)[0], messages)
                evaluated = self._restore(prompt, pinned(self.llama, messages, pin, prompt))
                self.llama.next_prompt = prompt
            before = self.llama.input_ids[: self.llama.n_tokens].tolist()
            try:
                out = self.llama.create_chat_completion(
                    messages=messages, temperature=temperature, max_tokens=max_tokens, seed=seed, grammar=grammar,
                )
            finally:
                self.llama.next_prompt = None
            choice = out["choices"][0]
            usage = out.get("usage") or {}
            prompt_tokens = usage.get("prompt_tokens", 0)
            # generate() matches against all but the prompt's last token (it needs that token's logits)
            prompt = self.llama.input_ids[: max(0, prompt_tokens - 1)].tolist()
            text = choice["message"].get("content") or ""
            if self.prefixes is not None:
                held = self.llama.input_ids[: self.llama.n_tokens].tolist()
                self.prefixes.keep(self.llama._ctx.ctx, held, 0)
                if choice.get("finish_reason") == "stop":  # cut off, its last token is not in the KV cache
                    self.replies.add(self.llama, text, held[prompt_tokens:])
            finish = choice.get("finish_reason") or "stop"
            generated = usage.get("completion_tokens", 0)
            # one sequence per step: every token after the prompt's first is a step of width 1 (the
            # last one is not decoded when max_tokens cut it off)
            steps = max(0, generated - (finish == "length"))
            reading, generating = self._model_time(clock)
            return Completion(
                text=text,
                prompt_tokens=prompt_tokens,
                completion_tokens=generated,
                seconds=time.perf_counter() - start,
                finish_reason=finish,
                cached_tokens=common_prefix(before, prompt) - evaluated,
                decode_steps=steps,
                step_share=float(steps),
                prompt_seconds=reading,
                generation_seconds=generating,
            )

    def choose(self, messages: list[dict], options: list[str], *, pin: int = 0) -> Completion:
        """As `LLM.choose`: the prompt is evaluated like a chat call's (the same prefix reuse and
        pins), then the last position's logits are read from the context (llama-cpp-python keeps no
        scores without logits_all)."""
        import llama_cpp

        with self._lock:
            start, clock = time.perf_counter(), self._model_clock()
            llama = self.llama
            first = first_tokens(llama, options)
            prompt = prompt_of(llama, messages)[0]
            evaluated = 0
            if not self.reuse_prefix:
                llama.reset()
            else:
                prompt = self.replies.splice(llama, prompt, messages)
                evaluated = self._restore(prompt, pinned(llama, messages, pin, prompt))
            # like Llama.generate: keep all but the prompt's last token, which must be evaluated for its logits
            keep = common_prefix(llama.input_ids[: llama.n_tokens].tolist(), prompt[:-1])
            llama.n_tokens = keep
            llama.eval(prompt[keep:])
            logits = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1)
            values = {option: float(logits[token]) for option, token in zip(options, first)}
            if self.prefixes is not None:
                self.prefixes.keep(llama._ctx.ctx, prompt, 0)
            reading, generating = self._model_time(clock)
            return replace(chosen(options, values, len(prompt), time.perf_counter() - start, keep - evaluated),
                           prompt_seconds=reading + generating)  # a 1-token prompt tail counts as a step in llama.cpp

    def _model_clock(self) -> tuple[float, float]:
        """llama.cpp's own clocks of this context, in ms: batches of several tokens (prompts) and
        one-token decodes (generation steps; a prompt whose KV cache held all but its last token
        counts there too). Host copies of stored prefixes are on neither."""
        import llama_cpp

        perf = llama_cpp.llama_perf_context(self.llama._ctx.ctx)
        return perf.t_p_eval_ms, perf.t_eval_ms

    def _model_time(self, since: tuple[float, float]) -> tuple[float, float]:
        """Seconds spent on prompts and on generation since `since` (`_model_clock`)."""
        now = self._model_clock()
        return (now[0] - since[0]) / 1000, (now[1] - since[1]) / 1000


def check_grammar(vocab, gbnf: str) -> None:
    """Raise ValueError when llama.cpp cannot parse `gbnf`: llama-cpp-python would put the NULL
    sampler into its chain, and the process dies at the first token."""
    import llama_cpp

    with _quiet_stderr():
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
    if not sampler:
        raise ValueError(f"llama.cpp could not parse the grammar: {gbnf[:300]}")
    llama_cpp.llama_sampler_free(sampler)


def get_engine(model_path: str, n_ctx: int = 2048, n_threads: int = 1, chat_format: str | None = None,
               reuse_prefix: bool = True) -> Engine:
    """The per-process model cache: a Dask worker loads its model once, on its first task."""
    return loaded.load(Engine, model_path, n_ctx=n_ctx, n_threads=n_threads, chat_format=chat_format,
                       reuse_prefix=reuse_prefix)
