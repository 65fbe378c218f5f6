"""The KV prefix store: the KV cache of several earlier prompts, kept in host memory, so a prompt
can start from whichever of them it shares the longest beginning with.

llama-cpp-python reuses only the previous call's KV cache. An STE episode alternates stages whose
prompts begin differently (imagination, call, answer, reflection, judge), so each stage's prompt
shares its long beginning (instructions, tool documentation, the memories so far) with that stage's
previous prompt, not with the call just before. Measured on the quickstart tools (90 calls, 32,043
prompt tokens): the previous call served 34.7 % of prompt tokens; the best of the last 8 prompts
would serve 60.1 %, of all earlier ones 63.5 %.

A stored prefix is llama.cpp's own sequence state (`llama_state_seq_get_data`: the KV cells of
sequence 0), about 23 KB a token for the 135M model, so restoring one costs a copy of a few MB
against evaluating hundreds of tokens again. A restored prefix is exactly the KV cache its own call
left (tests/test_prefixes.py), so a partition's calls still give the same text wherever it runs: the
pipeline empties the store with the KV cache at each partition's start.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

BUDGET_BYTES = 256 * 2**20  # host memory for stored prefixes, per engine
MIN_GAIN = 16  # restore only when it saves at least this many tokens over the KV cache in place


def common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass
class Prefix:
    tokens: list[int]
    state: bytes
    used: int = 0


class PrefixStore:
    """Stored sequence states of one `Llama`, least recently used dropped first."""

    def __init__(self, llama, budget: int = BUDGET_BYTES):
        self.llama, self.budget = llama, budget
        self.prefixes: list[Prefix] = []
        self.clock = 0
        self.restored = 0  # prompt tokens served by a restored prefix rather than the KV cache in place

    def _current(self) -> list[int]:
        return self.llama.input_ids[: self.llama.n_tokens].tolist()

    def prepare(self, prompt: list[int]) -> int:
        """Before evaluating `prompt`: load the stored prefix that shares the most tokens with it
        when that beats the KV cache in place. Returns the tokens of `prompt` the cache now holds
        (llama-cpp-python evaluates at least the last prompt token again, for its logits)."""
        import llama_cpp

        usable = prompt[:-1]
        here = common_prefix(self._current(), usable)
        best = max(self.prefixes, key=lambda p: common_prefix(p.tokens, usable), default=None)
        gain = common_prefix(best.tokens, usable) if best else 0
        if best is None or gain < here + MIN_GAIN:
            return here
        llama = self.llama
        llama_cpp.llama_memory_seq_rm(llama._ctx.memory, 0, -1, -1)
        buffer = (ctypes.c_uint8 * len(best.state)).from_buffer_copy(best.state)
        if not llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buffer, len(best.state), 0):
            llama.reset()  # llama.cpp could not place it: start from nothing, as without a store
            llama_cpp.llama_memory_seq_rm(llama._ctx.memory, 0, -1, -1)
            return 0
        llama.input_ids[: len(best.tokens)] = best.tokens
        llama.n_tokens = len(best.tokens)
        self.clock += 1
        best.used = self.clock
        self.restored += gain - here
        return gain

    def keep(self) -> None:
        """After a call: store what the KV cache holds now (prompt and completion). A stored prefix
        that the new one extends is replaced by it."""
        import llama_cpp

        tokens = self._current()
        if not tokens:
            return
        self.clock += 1
        holding = [p for p in self.prefixes if p.tokens[: len(tokens)] == tokens]
        if holding:  # a stored prefix already holds all of it: it was just as good as new
            holding[0].used = self.clock
            return
        ctx = self.llama._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        if size > self.budget:
            return
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        self.prefixes = [p for p in self.prefixes if tokens[: len(p.tokens)] != p.tokens]
        self.prefixes.append(Prefix(tokens, ctypes.string_at(buffer, written), self.clock))
        while sum(len(p.state) for p in self.prefixes) > self.budget:
            self.prefixes.remove(min(self.prefixes, key=lambda p: p.used))

    def clear(self) -> None:
        self.prefixes = []
