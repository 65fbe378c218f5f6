"""The persistent LLM-call cache: a generation is a function of the model bytes, the exact messages,
the grammar (JSON Schema or GBNF), the sampling parameters and the seed — and, measured with llama.cpp 0.3.16,
of the KV cache it started from (a prompt evaluated after a shared prefix was kept samples differently
from the same prompt evaluated cold). So a key also names the calls before it since the partition
started (`chain`), and a partition is served from the cache whole or not at all: at the first miss
after hits, `ChainBroken` makes the partition start over cold with cache reads off (the hits cost no
model time). A re-run with changed filters or output options thus reuses every generation, and a
resumed partition gives exactly the rows an uninterrupted run gives.

One SQLite file (default ~/.cache/toolmint/llm-calls.sqlite, or $TOOLMINT_CACHE_DIR), shared by the
worker processes of a machine (WAL mode; a cluster worker uses its own machine's file). Turn it off
with the recipe's `dask.llm_cache: false` or `toolmint run --no-llm-cache`; clear it with
`toolmint run --clear-llm-cache`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path

from builders.llm.protocol import LLM, ChatJSON, Completion

VERSION = 1  # bump when what a key means changes
NOT_STORED = ("from_cache", "cached_tokens", "decode_steps", "step_share",  # how a call ran, not what it gave
              "prompt_seconds", "generation_seconds")


def default_path() -> str:
    base = os.environ.get("TOOLMINT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "toolmint")
    return os.path.join(base, "llm-calls.sqlite")


def wal(db: sqlite3.Connection, tries: int = 100) -> None:
    """Put the file in WAL mode (it stays so) unless it is already. Setting it takes the file's lock
    at once, without waiting out the busy timeout: a partition whose thread opened its connection while
    another wrote failed with "database is locked" (seen in a batched run). So look first, and retry."""
    for attempt in range(tries):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


class CallCache:
    def __init__(self, path: str):
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        wal(self.db)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, completion TEXT NOT NULL)")

    def get(self, key: str) -> Completion | None:
        row = self.db.execute("SELECT completion FROM calls WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return Completion(**{**data, "from_cache": True, "cached_tokens": 0})

    def put(self, key: str, completion: Completion) -> None:
        # a chat's value is parsed again from its text; a choice's (its options' log-probabilities) is kept
        data = {k: v for k, v in asdict(completion).items() if k not in NOT_STORED
                and (k != "value" or completion.finish_reason == "choice")}
        self.db.execute("INSERT OR REPLACE INTO calls (key, completion) VALUES (?, ?)", (key, json.dumps(data)))

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM calls").fetchone()[0]


_OPEN: dict[tuple, CallCache] = {}


def open_cache(path: str) -> CallCache:
    """One connection per thread and file (a worker's threads run partitions at once; an sqlite3
    connection is not for several threads)."""
    key = (path, threading.get_ident())
    if key not in _OPEN:
        _OPEN[key] = CallCache(path)
    return _OPEN[key]


def clear(path: str | None = None) -> int:
    """Delete the cache file; returns how many calls it held."""
    path = path or default_path()
    if not os.path.exists(path):
        return 0
    try:
        n = len(CallCache(path))
    except sqlite3.DatabaseError:
        n = 0
    for key in [k for k in _OPEN if k[0] == path]:
        _OPEN.pop(key).db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    return n


def call_key(model_key: str, messages, schema, params: dict) -> str:
    material = json.dumps({"v": VERSION, "model": model_key, "messages": messages, "schema": schema,
                           "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


class ChainBroken(BaseException):
    """A partition was served from the cache up to a call the cache lacks: start it over cold.
    A BaseException, so that a method's `except Exception` around a call cannot swallow it."""


class CachedEngine(ChatJSON):
    """An engine whose calls are looked up before they are made; `hits` and `misses` count them."""

    def __init__(self, engine: LLM, cache: CallCache, model_key: str):
        self.engine, self.cache, self.model_key = engine, cache, model_key
        self.hits = self.misses = 0
        self.chain = ""  # the key of the call before, since forget_prefix
        self.served = 0  # hits since forget_prefix
        self.read = True  # off while a partition is computed again after ChainBroken

    def chat(self, messages, *, temperature: float = 0.7, max_tokens: int = 160, seed: int = 0,
             schema: dict | None = None, grammar: str | None = None, pin: int = 0) -> Completion:
        params = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
        # keys without a grammar or a pin stay as they were
        extra = {**({"grammar": grammar} if grammar is not None else {}), **({"pin": pin} if pin else {})}
        key = call_key(self.model_key, messages, schema, {**params, **extra, "after": self.chain})
        return self._through(key, lambda: self.engine.chat(messages, schema=schema, **extra, **params))

    def choose(self, messages, options, *, pin: int = 0) -> Completion:
        """Recorded and replayed like a chat call, in the same chain (it moves the KV cache too)."""
        key = call_key(self.model_key, messages, None, {"choose": list(options), **({"pin": pin} if pin else {}),
                                                         "after": self.chain})
        return self._through(key, lambda: self.engine.choose(messages, options, pin=pin))

    def _through(self, key: str, compute) -> Completion:
        """The cached completion of the call `key` (the next link of this chain), else `compute()`'s,
        recorded. A miss after hits means the chain was cut there: ChainBroken."""
        self.chain = key
        found = self.cache.get(key) if self.read else None
        if found is not None:
            self.hits += 1
            self.served += 1
            return found
        if self.served:
            raise ChainBroken(f"{self.served} calls came from the cache, the next one did not")
        self.misses += 1
        completion = compute()
        self.cache.put(key, completion)
        return completion

    def begin_partition(self, from_cache: bool = True) -> None:
        """A new partition may be served from the cache again; one started over after ChainBroken is
        not (cold KV cache, no reads; writes go on)."""
        self.read = from_cache
        self.forget_prefix()

    def forget_prefix(self) -> None:
        self.chain, self.served = "", 0
        self.engine.forget_prefix()
