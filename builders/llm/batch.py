"""The batching engine: S caller threads served from ONE llama.cpp context with S sequences.

On a small model a generated token costs about the same whether one sequence or four are decoded
in a step (the weights are read once per step), so S callers that wait on the model together get
up to S tokens per step. Each caller thread owns a slot — a llama.cpp sequence id — and keeps its
own KV prefix reuse: a new prompt removes only the divergent tail of that sequence, or starts from
the slot's stored earlier prefix that shares more with it (builders/llm/prefixes.py). One driver
thread owns the context: each step it evaluates the next chunk of every waiting prompt, each alone
(see `_step` for why), then puts every generating sequence's next token into one `llama_decode` and
samples each sequence with its own sampler chain (the same chain and parameters as
`Llama.create_chat_completion`, grammar included), so callers see what `builders.llm.Engine` gives
(the `LLM` interface).

A caller that stops waiting (KeyboardInterrupt, a partition torn down) cancels its request: the
driver drops it before its next step and empties its sequence, so the other callers go on.

The KV cache is not unified (`kv_unified=False`): each sequence has its own KV stream laid out as
if it ran alone, so a sequence's logits do not depend on what the others hold. Measured on the
135M model: greedy completions in a batch equal the same prompts run alone (tests/test_batch.py).
`dask.sequences: auto` picks one process with 16 sequences for a model whose generation step
dominates (builders/run/plan.py); docs/architecture.md has the measurements.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field, replace

from builders.llm import loaded
from builders.llm.engine import _quiet_stderr, first_tokens, pinned, prompt_of
from builders.llm.prefixes import BUDGET_BYTES, Pins, PrefixStore, Replies, common_prefix
from builders.llm.protocol import ChatJSON, Completion, chosen
from builders.llm.sampling import GrammarLast

N_BATCH = 512  # tokens per llama_decode of one prompt chunk


@dataclass
class _Request:
    prompt: list[int]
    stop: list[bytes]
    max_tokens: int
    sampler: GrammarLast | None  # chains of its own; None for a `choose` request
    start: float
    pin: list[int] = field(default_factory=list)  # its pinned prefix's tokens (builders/llm/prefixes.py)
    options: list[int] | None = None  # a `choose` request: the options' first tokens; it ends after its prompt
    scores: list[float] = field(default_factory=list)  # ... and their logits at the prompt's last position
    done: threading.Event = field(default_factory=threading.Event)
    generated: list[int] = field(default_factory=list)
    cached: int = 0
    started: bool = False
    text: bytes = b""
    pieces: bytearray = field(default_factory=bytearray)  # the generated tokens' text as it grows
    finish_reason: str = "length"
    error: BaseException | None = None
    cancelled: bool = False  # its caller stopped waiting (`BatchEngine._await`): the driver drops it
    steps: int = 0  # generation steps that decoded it
    share: float = 0.0  # its share of them: 1/width of each (summed over calls, their count of steps)
    prompt_seconds: float = 0.0  # the driver's time on its prompt: restoring or pinning, its chunks, keeping
    generation_seconds: float = 0.0  # its share of each generation step's time, and its sampling


@dataclass
class _Slot:
    seq: int
    tokens: list[int] = field(default_factory=list)  # what this sequence's KV holds, in order
    forget: bool = False
    owner: threading.Thread | None = None
    used: int = 0  # when its owner last called (to pick a slot to take over)
    request: _Request | None = None
    pending: list[int] = field(default_factory=list)  # tokens still to decode for the request
    logits_at: int = -1  # the batch index of this slot's logits after a decode, or -1
    prefixes: PrefixStore = field(default_factory=PrefixStore)  # its earlier calls' KV caches
    replies: Replies = field(default_factory=Replies)  # its own replies' generated tokens


class BatchEngine(ChatJSON):
    """The `LLM` interface for up to `sequences` threads at once. A thread's first call claims a
    free slot (a slot of a thread that ended, or of a call its caller gave up, is free again)."""

    def __init__(self, model_path: str, n_ctx: int = 2048, n_threads: int = 1, chat_format: str | None = None,
                 sequences: int = 4):
        import llama_cpp
        from llama_cpp import Llama
        from llama_cpp._internals import LlamaBatch, LlamaContext

        self.model_path, self.n_ctx, self.n_threads, self.sequences = model_path, n_ctx, n_threads, sequences
        self.reuse_prefix = True
        with _quiet_stderr():
            # the Llama object gives the weights, tokenizer and chat template; its own context stays small
            self.llama = Llama(model_path=model_path, n_ctx=256, n_batch=256, n_threads=n_threads,
                               n_threads_batch=n_threads, chat_format=chat_format, verbose=False)
            params = llama_cpp.llama_context_params.from_buffer_copy(self.llama.context_params)
            params.n_ctx = n_ctx * sequences  # split evenly: each sequence gets n_ctx
            params.n_batch = params.n_ubatch = N_BATCH
            params.n_seq_max = sequences
            params.kv_unified = False
            self.ctx = LlamaContext(model=self.llama._model, params=params, verbose=False)
            self.batch = LlamaBatch(n_tokens=N_BATCH, embd=0, n_seq_max=1, verbose=False)
        self._lib = llama_cpp
        self.vocab = self.llama._model.vocab
        self.slots = [_Slot(seq, prefixes=PrefixStore(BUDGET_BYTES)) for seq in range(sequences)]
        self.pins = Pins()  # shared by the slots: a pin's KV cache loads into any sequence
        self._local = threading.local()  # this thread's slot (thread idents are reused, locals are not)
        self._grammars: dict[str, tuple[bytes, bytes]] = {}
        self._cv = threading.Condition()
        self._clock = itertools.count(1)
        self.widest = 0  # the most sequences one generation step has decoded together
        self.steps = self.stepped = 0  # generation steps, and sequences decoded in them (their mean width)
        self._driver = threading.Thread(target=self._drive, name="llama-batch", daemon=True)
        self._driver.start()

    # --- the caller's side --------------------------------------------------------------------------

    def _slot(self) -> _Slot:
        """This thread's slot; call with the lock held. A new thread takes a slot whose thread has
        ended or never was, else the idle slot used least recently; either way it starts from an
        empty KV sequence, so what a thread generates depends on its own calls only. Its former
        owner, if it calls again, takes another the same way."""
        me = threading.current_thread()
        slot = getattr(self._local, "slot", None)
        if slot is not None and slot.owner is me:
            slot.used = next(self._clock)
            return slot
        while True:
            free = [s for s in self.slots if s.owner is None or not s.owner.is_alive()]
            idle = sorted((s for s in self.slots if s.request is None), key=lambda s: s.used)
            slot = free[0] if free else idle[0] if idle else None
            if slot is not None:
                break
            self._cv.wait()
        slot.owner, slot.forget, slot.used = me, True, next(self._clock)
        self._local.slot = slot
        return slot

    def _claim(self) -> _Slot:
        """This thread's slot for a new request; call with the lock held. A request this thread gave
        up (`_await`) stays on its slot until the driver has dropped it, so wait for that: two
        requests on one slot would cross."""
        while True:
            slot = self._slot()
            if slot.request is None:
                return slot
            self._cv.wait()

    def _await(self, request: _Request) -> None:
        """Wait for the driver to finish `request`, and raise its error if it had one.

        A caller that stops waiting (KeyboardInterrupt, an exception raised into its thread) cancels
        its request: left alone, the driver would decode it to its end for nobody, widening every
        step, and the slot would stay taken meanwhile. Marked cancelled, it is dropped before the
        driver's next step, its sequence emptied and its slot freed (`_drop`)."""
        try:
            request.done.wait()
        except BaseException:
            with self._cv:  # done is set under the lock: either the driver finished it, or it will drop it
                if not request.done.is_set():
                    request.cancelled = True
                    self._cv.notify_all()
            raise
        if request.error is not None:
            raise request.error

    def forget_prefix(self) -> None:
        """This thread's next call starts from an empty KV sequence."""
        with self._cv:
            self._slot().forget = True

    def begin_partition(self, from_cache: bool = True) -> None:
        """No cache here: this thread's partition starts from an empty KV sequence."""
        self.forget_prefix()

    def _grammar(self, schema: dict | None = None, gbnf: str | None = None) -> tuple[bytes, bytes]:
        from builders.grammar import json_schema_to_gbnf

        key = gbnf if gbnf is not None else json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = ((gbnf if gbnf is not None else json_schema_to_gbnf(schema)).encode(), b"root")
        return self._grammars[key]

    def _chain(self, temperature: float, seed: int, grammar=None):
        """The chain `Llama._init_sampler` builds for create_chat_completion's defaults."""
        lib = self._lib
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        add = lambda s: lib.llama_sampler_chain_add(chain, s)  # noqa: E731
        add(lib.llama_sampler_init_penalties(self.llama.last_n_tokens_size, 1.0, 0.0, 0.0))
        if grammar is not None:
            gs = lib.llama_sampler_init_grammar(self.vocab, *grammar)
            if not gs:
                lib.llama_sampler_free(chain)
                raise ValueError("llama.cpp could not parse the grammar")
            add(gs)
        if temperature < 0:
            add(lib.llama_sampler_init_softmax())
            add(lib.llama_sampler_init_dist(seed))
        elif temperature == 0:
            add(lib.llama_sampler_init_greedy())
        else:
            add(lib.llama_sampler_init_top_k(40))
            add(lib.llama_sampler_init_typical(1.0, 1))
            add(lib.llama_sampler_init_top_p(0.95, 1))
            add(lib.llama_sampler_init_min_p(0.05, 1))
            add(lib.llama_sampler_init_temp(temperature))
            add(lib.llama_sampler_init_dist(seed))
        return chain

    def _sampler(self, temperature: float, seed: int, grammar) -> GrammarLast:
        """Sampling as `Engine` does it: the grammar checked last (builders/llm/sampling.py)."""
        lib = self._lib
        free = self._chain(temperature, seed)
        if grammar is None:
            return GrammarLast(free, free, None, lambda: lib.llama_sampler_free(free))
        chains = [free, self._chain(temperature, seed, grammar), lib.llama_sampler_chain_init(
            lib.llama_sampler_chain_default_params())]
        lib.llama_sampler_chain_add(chains[2], lib.llama_sampler_init_grammar(self.vocab, *grammar))
        return GrammarLast(*chains, lambda: [lib.llama_sampler_free(c) for c in chains])

    def chat(self, messages: list[dict], *, temperature: float = 0.7, max_tokens: int = 160,
             seed: int = 0, schema: dict | None = None, grammar: str | None = None, pin: int = 0) -> Completion:
        """As `Engine.chat`: a JSON `schema` or a GBNF `grammar`, and the first `pin` messages pinned."""
        if schema is not None and grammar is not None:
            raise ValueError("chat takes a JSON schema or a GBNF grammar, not both")
        start = time.perf_counter()
        prompt, stop = prompt_of(self.llama, messages)
        grammar = self._grammar(schema, grammar) if schema is not None or grammar is not None else None
        return self._generate(prompt, stop, max_tokens, self._sampler(temperature, seed, grammar), start,
                              messages=messages, pin=pin)

    def complete(self, text: str, *, max_tokens: int = 256, temperature: float = 0.0, seed: int = 0) -> Completion:
        """The completion of a prompt rendered elsewhere (`toolmint eval` renders the model's own
        chat template with tools), batched with the other callers' requests like a chat call. It
        ends at the model's end of generation."""
        start = time.perf_counter()
        prompt = self.llama.tokenize(text.encode(), special=True)
        return self._generate(prompt, [], max_tokens, self._sampler(temperature, seed, None), start)

    def _generate(self, prompt: list[int], stop: list[bytes], max_tokens: int, sampler: GrammarLast, start: float,
                  messages: list[dict] | None = None, pin: int = 0) -> Completion:
        with self._cv:  # claimed and given its request at once: no other thread can take it in between
            slot = self._claim()
            if slot.forget:  # this call starts a partition: no earlier reply counts
                slot.replies.clear()
            if messages is not None:
                prompt = slot.replies.splice(self.llama, prompt, messages)
            if len(prompt) >= self.n_ctx:
                sampler.close()
                raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {self.n_ctx}")
            if max_tokens is None or max_tokens <= 0 or max_tokens + len(prompt) >= self.n_ctx:
                max_tokens = self.n_ctx - len(prompt)
            request = _Request(prompt, stop, max_tokens, sampler, start,
                               pinned(self.llama, messages, pin, prompt) if messages is not None else [])
            slot.request = request  # from here the driver owns the sampler and frees it
            self._cv.notify_all()
        self._await(request)
        return Completion(text=request.text.decode("utf-8", errors="ignore"), prompt_tokens=len(prompt),
                          completion_tokens=len(request.generated), seconds=time.perf_counter() - start,
                          finish_reason=request.finish_reason, cached_tokens=request.cached,
                          decode_steps=request.steps, step_share=request.share,
                          prompt_seconds=request.prompt_seconds, generation_seconds=request.generation_seconds)

    def choose(self, messages: list[dict], options: list[str], *, pin: int = 0) -> Completion:
        """As `Engine.choose`: a request that ends after its prompt, evaluated alone like any prompt
        (see `_step`), whose options' logits are read at its batch index."""
        start = time.perf_counter()
        first = first_tokens(self.llama, options)
        prompt, _ = prompt_of(self.llama, messages)
        with self._cv:
            slot = self._claim()
            if slot.forget:
                slot.replies.clear()
            prompt = slot.replies.splice(self.llama, prompt, messages)
            if len(prompt) >= self.n_ctx:
                raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {self.n_ctx}")
            request = _Request(prompt, [], 0, None, start, pinned(self.llama, messages, pin, prompt), options=first)
            slot.request = request
            self._cv.notify_all()
        self._await(request)
        return replace(chosen(options, dict(zip(options, request.scores)), len(prompt), time.perf_counter() - start,
                              request.cached), prompt_seconds=request.prompt_seconds,
                       generation_seconds=request.generation_seconds)

    # --- the driver's side: the only thread that touches the context -------------------------------

    def _drive(self) -> None:
        while True:
            with self._cv:
                while not any(s.request for s in self.slots):
                    self._cv.wait()
                for slot in self.slots:
                    if slot.request is not None and slot.request.cancelled:
                        self._drop(slot)
                active = [s for s in self.slots if s.request is not None]
            if not active:
                continue
            try:
                self._step(active)
            except BaseException as exc:  # noqa: BLE001 - every waiting caller gets the error
                for slot in active:
                    if slot.request is not None:
                        self._finish(slot, error=exc)
                    slot.forget = True

    def _drop(self, slot: _Slot) -> None:
        """A request whose caller stopped waiting: its sequence is emptied (KV, stored prefixes,
        replies) and the slot is free for whichever thread calls next, its former owner included,
        which then starts from an empty sequence like any newcomer."""
        self.ctx.kv_cache_seq_rm(slot.seq, 0, -1)
        slot.tokens, slot.forget, slot.owner = [], True, None
        slot.prefixes.clear()
        slot.replies.clear()
        slot.request.finish_reason = "cancelled"
        self._release(slot)

    def _begin(self, slot: _Slot) -> None:
        """A new request on this slot: keep the KV of the longest common prefix, drop the rest."""
        request = slot.request
        if slot.forget:
            slot.tokens, slot.forget = [], False
            self.ctx.kv_cache_seq_rm(slot.seq, 0, -1)
            slot.prefixes.clear()
        # like Llama.generate: match all but the prompt's last token, whose logits are needed
        held, evaluated = slot.prefixes.start(self.ctx.ctx, slot.seq, slot.tokens, request.prompt, request.pin,
                                              self.pins, lambda pin: self._evaluate(slot, pin))
        if held is not None:  # its pin, or an earlier call of this slot, shares more (builders/llm/prefixes.py)
            slot.tokens = held
        keep = common_prefix(slot.tokens, request.prompt[:-1])
        if keep < len(slot.tokens):
            self.ctx.kv_cache_seq_rm(slot.seq, keep, -1)
            del slot.tokens[keep:]
        request.cached, request.started = keep - evaluated, True
        slot.pending = request.prompt[keep:]

    def _evaluate(self, slot: _Slot, tokens: list[int]) -> None:
        """A pinned prefix into an emptied sequence, alone and in chunks of N_BATCH as `Llama.eval`
        evaluates it, so its KV cache is the one `Engine` makes."""
        self.ctx.kv_cache_seq_rm(slot.seq, 0, -1)
        batch = self.batch.batch
        for start in range(0, len(tokens), N_BATCH):
            chunk = tokens[start:start + N_BATCH]
            for i, token in enumerate(chunk):
                batch.token[i], batch.pos[i], batch.seq_id[i][0], batch.n_seq_id[i] = token, start + i, slot.seq, 1
                batch.logits[i] = i == len(chunk) - 1
            batch.n_tokens = len(chunk)
            code = self._lib.llama_decode(self.ctx.ctx, batch)
            if code != 0:
                raise RuntimeError(f"llama_decode returned {code}")

    def _step(self, active: list[_Slot]) -> None:
        """The next prompt chunk of every sequence that is still reading its prompt, each in a
        llama_decode of its own, then the next token of every generating sequence in one llama_decode.

        Why every waiting prompt in one step: a generation step costs about as much for one
        sequence as for eight (1.5B on 2 cores: 83 ms and 220 ms), so the more sequences have their
        prompts in when it runs, the fewer steps the same tokens take. One prompt per step (as before)
        let the others wait through a generation step each, and steps stayed narrow.

        Why each prompt alone: llama.cpp's logits depend on how a sequence's tokens are cut into
        ubatches (measured on the 135M model: the same prompt evaluated in one piece or in two gives
        a different first token), and a batch mixing several sequences is cut differently than one
        sequence alone (with non-unified KV, llama.cpp takes an equal share of every sequence per
        ubatch). Evaluated alone, in chunks of N_BATCH as `Llama.eval` does, a prompt gives the same
        logits as in `Engine`. Mixing would buy little here: prompt evaluation is compute-bound on a
        CPU (1.5B on 2 cores: 512 prompt tokens alone 4.87 s, with 8 generation tokens beside them
        5.04 s, against 4.87 + 0.22 s apart). A generation step (one token per sequence,
        non-unified KV) gave the same logits whichever sequences shared it when measured alone, yet
        whole pipeline runs at 2 sequences differ from each other (docs/architecture.md, sequences):
        a caller's completion can depend on its companions, and the LLM-call cache is what makes a
        run exact."""
        for slot in active:
            if not slot.request.started:
                started = time.perf_counter()
                self._begin(slot)
                slot.request.prompt_seconds += time.perf_counter() - started
        for slot in sorted((s for s in active if not s.request.generated and s.pending),
                           key=lambda s: s.request.start):  # first come, first evaluated
            self._decode([(slot, slot.pending[:N_BATCH])])
        generating = [s for s in active if s.request is not None and s.request.generated and s.pending]
        if generating:
            self.widest = max(self.widest, len(generating))
            self.steps += 1
            self.stepped += len(generating)
            for slot in generating:  # each caller's part of the step, so partitions can sum their width
                slot.request.steps += 1
                slot.request.share += 1 / len(generating)
            self._decode([(slot, slot.pending[:1]) for slot in generating])

    def _decode(self, work: list[tuple[_Slot, list[int]]]) -> None:
        """One llama_decode of these tokens; each slot whose pending tokens are all in gets a sample."""
        batch = self.batch.batch
        n = 0
        for slot, take in work:
            slot.logits_at = -1
            for i, token in enumerate(take):
                batch.token[n] = token
                batch.pos[n] = len(slot.tokens) + i
                batch.seq_id[n][0] = slot.seq
                batch.n_seq_id[n] = 1
                batch.logits[n] = last = i == len(slot.pending) - 1
                if last:
                    slot.logits_at = n
                n += 1
            slot.tokens.extend(take)
            del slot.pending[: len(take)]
        batch.n_tokens = n
        started = time.perf_counter()
        code = self._lib.llama_decode(self.ctx.ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
        share = (time.perf_counter() - started) / len(work)
        for slot, _ in work:  # charged now: sampling may hand the request back to its caller
            if slot.request.generated:
                slot.request.generation_seconds += share
            else:  # a prompt chunk (with its first token's logits)
                slot.request.prompt_seconds += share
        for slot, _ in work:
            if slot.logits_at >= 0:
                self._sample(slot)

    def _sample(self, slot: _Slot) -> None:
        """The next token of the slot's request, its sampling time charged to it; the request ends
        here when that token ends it."""
        started, request = time.perf_counter(), slot.request
        reason = self._next_token(slot)
        request.generation_seconds += time.perf_counter() - started
        if reason is not None:
            self._finish(slot, reason)

    def _next_token(self, slot: _Slot) -> str | None:
        """The token loop of `Llama._create_completion`: end of generation, stop strings, max_tokens.
        Returns why the request ends, or None when it goes on."""
        request = slot.request
        if request.options is not None:  # a `choose` request: its prompt is in, read the options' logits
            logits = self._lib.llama_get_logits_ith(self.ctx.ctx, slot.logits_at)
            request.scores = [float(logits[token]) for token in request.options]
            return "choice"
        token = request.sampler.sample_at(self.ctx.ctx, slot.logits_at)
        slot.logits_at = -1
        if self._lib.llama_token_is_eog(self.vocab, token):
            request.text = bytes(request.pieces)
            return "stop"
        request.generated.append(token)
        request.pieces += self.llama.detokenize([token])  # the text so far: one piece per step, not all again
        text = bytes(request.pieces)
        hit = [s for s in request.stop if s in text]
        if hit:
            request.text = text[: text.index(hit[0])]
            return "stop"
        if len(request.generated) >= request.max_tokens:
            request.text = text
            return "length"
        slot.pending = [token]
        return None

    def _finish(self, slot: _Slot, reason: str = "stop", error: BaseException | None = None) -> None:
        request = slot.request
        request.finish_reason, request.error = reason, error
        if error is None:
            started = time.perf_counter()
            slot.prefixes.keep(self.ctx.ctx, slot.tokens, slot.seq)
            if reason == "stop":
                slot.replies.add(self.llama, request.text.decode("utf-8", errors="ignore"), request.generated)
            request.prompt_seconds += time.perf_counter() - started  # the KV kept serves later prompts
        self._release(slot)

    def _release(self, slot: _Slot) -> None:
        """The slot's request is over: its sampler freed here, where it was used, and its caller woken."""
        request = slot.request
        if request.sampler is not None:
            request.sampler.close()
        slot.pending, slot.logits_at = [], -1
        with self._cv:  # done is set under the lock (see `_await`)
            slot.request = None
            request.done.set()
            self._cv.notify_all()


def get_batch_engine(model_path: str, n_ctx: int = 2048, n_threads: int = 1, chat_format: str | None = None,
                     sequences: int = 4) -> BatchEngine:
    """One batching engine per process and setting (a Dask worker's threads share it)."""
    return loaded.load(BatchEngine, model_path, n_ctx=n_ctx, n_threads=n_threads, chat_format=chat_format,
                       sequences=sequences)
