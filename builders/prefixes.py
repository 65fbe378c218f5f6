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
    """Stored sequence states of one llama.cpp context, least recently used dropped first. `ctx` is
    the raw `llama_context` pointer; `seq` the KV sequence a state is read from or written to."""

    def __init__(self, budget: int = BUDGET_BYTES):
        self.budget = budget
        self.prefixes: list[Prefix] = []
        self.clock = 0
        self.restored = 0  # prompt tokens served by a restored prefix rather than the KV cache in place

    def restore(self, ctx, seq: int, held: list[int], prompt: list[int]) -> list[int] | None:
        """Before evaluating `prompt` in sequence `seq`, whose KV cache holds `held`: load the stored
        prefix that shares the most with it, when that is at least MIN_GAIN tokens more than `held`
        shares (llama.cpp evaluates at least the prompt's last token again, for its logits). Returns
        the tokens the sequence holds now — [] when llama.cpp could not place the state — or None
        when nothing was loaded."""
        import llama_cpp

        usable = prompt[:-1]
        here = common_prefix(held, usable)
        found, gain = max(((p, common_prefix(p.tokens, usable)) for p in self.prefixes),
                          key=lambda pair: pair[1], default=(None, 0))
        if found is None or gain < here + MIN_GAIN:
            return None
        memory = llama_cpp.llama_get_memory(ctx)
        llama_cpp.llama_memory_seq_rm(memory, seq, -1, -1)
        buffer = (ctypes.c_uint8 * len(found.state)).from_buffer_copy(found.state)
        if not llama_cpp.llama_state_seq_set_data(ctx, buffer, len(found.state), seq):
            llama_cpp.llama_memory_seq_rm(memory, seq, -1, -1)
            return []
        self.clock += 1
        found.used = self.clock
        self.restored += gain - here
        return list(found.tokens)

    def keep(self, ctx, tokens: list[int], seq: int) -> None:
        """After a call: store sequence `seq`'s KV cache, which holds `tokens` (prompt and
        completion). A stored prefix that the new one extends is replaced by it."""
        import llama_cpp

        if not tokens:
            return
        self.clock += 1
        holding = [p for p in self.prefixes if p.tokens[: len(tokens)] == tokens]
        if holding:  # a stored prefix already holds all of it: it was just as good as new
            holding[0].used = self.clock
            return
        size = llama_cpp.llama_state_seq_get_size(ctx, seq)
        if size > self.budget:
            return
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, seq)
        self.prefixes = [p for p in self.prefixes if tokens[: len(p.tokens)] != p.tokens]
        self.prefixes.append(Prefix(list(tokens), ctypes.string_at(buffer, written), self.clock))
        while sum(len(p.state) for p in self.prefixes) > self.budget:
            self.prefixes.remove(min(self.prefixes, key=lambda p: p.used))

    def clear(self) -> None:
        self.prefixes = []
