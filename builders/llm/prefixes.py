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

Pinned prefixes (`Pins`) are the exception that outlives a partition: a fixed beginning that many
work units share (imagination's and the answer's worked exchanges, the same for every tool), which
the store would otherwise evaluate again in every partition. A pin is always evaluated alone, from
an empty KV cache, so its KV cache is the same in every process; and whether a call starts from its
pin is decided from tokens only (`PrefixStore.pin_wins`), never from whether this process happens
to hold the pin's state already. So a partition still gives the same text wherever it runs.

`Replies` keeps a prompt's match with the KV cache going through the model's own earlier replies,
which the chat template would otherwise tokenize differently from how they were generated.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

BUDGET_BYTES = 256 * 2**20  # host memory for stored prefixes, per engine (or per sequence of a batching one)
PIN_BUDGET_BYTES = 512 * 2**20  # host memory for pinned prefixes, per engine (a pin is a few MB: 28 KB a
                                # token for Qwen2.5-1.5B, 23 KB for SmolLM2-135M)
MIN_GAIN = 16  # restore only when it saves at least this many tokens over the KV cache in place
REPLIES_KEPT = 64  # the model's own latest replies whose tokens a later prompt may reuse


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
        usable = prompt[:-1]
        here = common_prefix(held, usable)
        found, gain = self._best(usable)
        if found is None or gain < here + MIN_GAIN:
            return None
        if not load_state(ctx, seq, found.state):
            return []
        self.clock += 1
        found.used = self.clock
        self.restored += gain - here
        return list(found.tokens)

    def _best(self, usable: list[int]) -> tuple[Prefix | None, int]:
        return max(((p, common_prefix(p.tokens, usable)) for p in self.prefixes), key=lambda pair: pair[1],
                   default=(None, 0))

    def pin_wins(self, held: list[int], prompt: list[int], pin: list[int]) -> bool:
        """Should `prompt` start from its pinned prefix `pin` (a beginning of it) rather than from the
        KV cache in place or a stored prefix? Decided from tokens alone, the way `restore` decides."""
        usable = prompt[:-1]
        if len(pin) > len(usable) or pin != usable[: len(pin)]:
            return False
        return len(pin) >= max(common_prefix(held, usable), self._best(usable)[1]) + MIN_GAIN

    def start(self, ctx, seq: int, held: list[int], prompt: list[int], pin: list[int], pins: "Pins",
              evaluate) -> tuple[list[int] | None, int]:
        """Before evaluating `prompt` in sequence `seq`: start from its pin when `pin_wins` (loaded,
        or the first time `evaluate(pin)`d alone into the emptied sequence and saved), else from the
        stored prefix `restore` picks. Returns what `restore` returns, and how many of the pin's
        tokens were evaluated here rather than served from a cache."""
        if not (pin and self.pin_wins(held, prompt, pin)):
            return self.restore(ctx, seq, held, prompt), 0
        if pins.load(ctx, seq, pin):
            return list(pin), 0
        evaluate(pin)
        pins.save(ctx, seq, pin)
        return list(pin), len(pin)

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
        if llama_cpp.llama_state_seq_get_size(ctx, seq) > self.budget:
            return
        state = read_state(ctx, seq)
        self.prefixes = [p for p in self.prefixes if tokens[: len(p.tokens)] != p.tokens]
        self.prefixes.append(Prefix(list(tokens), state, self.clock))
        while sum(len(p.state) for p in self.prefixes) > self.budget:
            self.prefixes.remove(min(self.prefixes, key=lambda p: p.used))

    def clear(self) -> None:
        self.prefixes = []


class Pins:
    """The KV caches of pinned prefixes, each evaluated alone from an empty KV cache; kept for the
    engine's life (not emptied per partition), the least recently used dropped over the budget."""

    def __init__(self, budget: int = PIN_BUDGET_BYTES):
        self.budget = budget
        self.states: dict[tuple[int, ...], bytes] = {}
        self.evaluated = 0  # pins evaluated (rather than loaded): one per pin and process, unless dropped

    def load(self, ctx, seq: int, pin: list[int]) -> bool:
        """Put the pin's KV cache into sequence `seq`, when this engine holds it."""
        state = self.states.pop(tuple(pin), None)
        if state is None:
            return False
        self.states[tuple(pin)] = state  # most recently used last
        return load_state(ctx, seq, state)

    def save(self, ctx, seq: int, pin: list[int]) -> None:
        """Keep sequence `seq`'s KV cache, which holds exactly `pin`, evaluated alone from empty."""
        self.evaluated += 1
        self.states[tuple(pin)] = read_state(ctx, seq)
        while sum(map(len, self.states.values())) > self.budget:
            del self.states[next(iter(self.states))]


def read_state(ctx, seq: int) -> bytes:
    import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(ctx, seq)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, seq)
    return ctypes.string_at(buffer, written)


def load_state(ctx, seq: int, state: bytes) -> bool:
    """Replace sequence `seq`'s KV cache by a stored state; False (and the sequence empty) when
    llama.cpp could not place it."""
    import llama_cpp

    memory = llama_cpp.llama_get_memory(ctx)
    llama_cpp.llama_memory_seq_rm(memory, seq, -1, -1)
    buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if not llama_cpp.llama_state_seq_set_data(ctx, buffer, len(state), seq):
        llama_cpp.llama_memory_seq_rm(memory, seq, -1, -1)
        return False
    return True


class Replies:
    """The model's own replies of this partition, text → the tokens it generated them as.

    A prompt that continues the conversation holds an earlier reply as text, which the chat
    template tokenizes canonically; but the KV cache holds the tokens as they were generated, and
    under a grammar these are often other splits (`"n` `am` `e"` for `"name"`), so the cache match
    stopped inside the reply and everything after it was evaluated again (measured: a reflection
    prompt evaluated 143 tokens where about 90 were new). `splice` puts the generated tokens back
    in their place. Emptied with the KV cache at each partition's start, like the store."""

    def __init__(self):
        self.tokens: dict[str, list[int]] = {}
        self.spliced = 0  # replies put back as generated

    def add(self, llama, text: str, generated: list[int]) -> None:
        """Keep a reply's tokens, when they are exactly its text."""
        if text and generated and llama.detokenize(generated).decode("utf-8", errors="replace") == text:
            self.tokens.pop(text, None)
            self.tokens[text] = list(generated)
            while len(self.tokens) > REPLIES_KEPT:
                del self.tokens[next(iter(self.tokens))]

    def splice(self, llama, prompt: list[int], messages: list[dict]) -> list[int]:
        """`prompt` (the tokens of `messages`) with each assistant message that is one of these
        replies in its generated tokens. A reply whose canonical tokens are not found as such in
        the prompt (merged with what the template puts around it) is left as it is."""
        if not any(m.get("role") == "assistant" and m.get("content") in self.tokens for m in messages):
            return prompt
        out, start = prompt, 0
        for message in messages:  # each message's text in turn, so a reply is not matched in an earlier message
            canonical = llama.tokenize(str(message.get("content") or "").encode(), add_bos=False, special=False)
            at = _find(out, canonical, start)
            if at < 0:
                continue
            generated = self.tokens.get(message["content"]) if message.get("role") == "assistant" else None
            if generated and canonical != generated:
                out = out[:at] + generated + out[at + len(canonical):]
                self.spliced += 1
            start = at + len(generated or canonical)
        return out

    def clear(self) -> None:
        self.tokens = {}


def _find(tokens: list[int], part: list[int], start: int) -> int:
    if not part:
        return -1
    for i in range(start, len(tokens) - len(part) + 1):
        if tokens[i] == part[0] and tokens[i:i + len(part)] == part:
            return i
    return -1
