"""Runtime factories for tests that run the real CLI (through TOOLMINT_RUNTIME=module:attr) or real
Dask workers: the scripted LLM with a deterministic rule, optionally slowed down so a run can be
interrupted mid-way. Importable on Dask workers started from the repository root."""

from __future__ import annotations

import json
import os
import time

from builders.methods.ste.query import QUERY_SCHEMA
from tests.methods.ste.script import stage
from tests.scripted import ScriptedLLM, ScriptedRuntime

# what a query asks (with its number n), the call that follows from it, and the answer; tools not here get
# a wrong call. Each query has its own n, so no row repeats another's call (STE's duplicate_call).
SCRIPT = {"calculator": ("What is 6 times {n}?", lambda n: {"expression": f"6*{n}"},
                         lambda n: f"6 times {n} is {6 * n}."),
          "date_arithmetic": ("What date is {n} days after 2024-01-01?", lambda n: {"start": "2024-01-01", "days": n},
                              lambda n: f"{n} days after 2024-01-01 is {_date(n)}."),
          # recipes/tools/inventory_openapi.yaml, served by recipes/tools/inventory_server.py
          "get_item": ("How many claw hammers, item 1, are in stock, question {n}?", lambda n: {"item_id": 1},
                       lambda n: "There are 14 claw hammers in stock.")}


def _date(n: int) -> str:
    import datetime

    return (datetime.date(2024, 1, 1) + datetime.timedelta(days=n)).isoformat()


def _n(messages) -> int:
    """The number of the query the prompt is about: the last one any of its messages states."""
    import re

    for m in reversed(messages):
        for query in SCRIPT.values():
            found = re.search(re.escape(query[0].split("{n}")[0]) + r"(\d+)", m["content"] or "")
            if found:
                return int(found.group(1))
    return 0


def _offered(schema) -> str:
    option = schema["anyOf"][0] if "anyOf" in schema else schema
    return option["properties"]["name"]["const"]


def _tool_of(messages) -> str:
    """The tool a prompt is about: named in it, or its task (imagination), or its query (the answer)."""
    from builders.methods.ste.query import task
    from builders.tools import builtin_tools

    text = "\n".join(m["content"] for m in messages)
    builtin = builtin_tools()
    return next((name for name in SCRIPT if name in text or (name in builtin and task(builtin[name]) in text)
                 or SCRIPT[name][0].split("{n}")[0] in text), "")


def rule(messages, schema, seed):
    """Any STE stage: a query naming its seed, the call that follows from it, an answer, and yes from
    reflection and the judge. calculator and date_arithmetic rows pass STE's checks; other tools get a
    call that fails. The same seeds give the same rows."""
    kind = stage(schema)
    if kind == "query":
        query = SCRIPT.get(_tool_of(messages), ("How much is one plus one, question {n}?",))[0]
        return {"query": query.format(n=seed % 997 + 1)}
    if kind == "call":
        name = _offered(schema)
        return {"name": name, "arguments": SCRIPT[name][1](_n(messages)) if name in SCRIPT else {"expression": "1/0"}}
    if kind == "answer":
        tool = _tool_of(messages)
        return {"answer": SCRIPT[tool][2](_n(messages)) if tool in SCRIPT else "It is done."}
    if kind == "paraphrase":
        return {"paraphrases": []}
    if kind == "reflection":
        return {"solved": "yes", "why": "the call worked"}
    return {"informative": "yes", "faithful": "yes", "appropriate": "yes"}


def yes(messages, options):
    """The judge's scores: yes to everything, by the same margin."""
    return {"yes": 3.0, "no": 0.0}


class SlowLLM(ScriptedLLM):
    """Each call takes DRILL_DELAY_S seconds (default 0.1), like a small model would."""

    def chat(self, messages, **kw):
        time.sleep(float(os.environ.get("DRILL_DELAY_S", "0.1")))
        return super().chat(messages, **kw)


def slow_runtime(spec):
    return ScriptedRuntime(SlowLLM(rule=rule, scores=yes))(spec)


def fast_runtime(spec):
    return ScriptedRuntime(ScriptedLLM(rule=rule, scores=yes))(spec)


def cached_runtime(spec):
    """The scripted engine behind the real LLM-call cache, as local_runtime wraps the real model."""
    from builders.run.runtime import with_call_cache

    runtime = ScriptedRuntime(ScriptedLLM(rule=rule, scores=yes))(spec)
    runtime.engine = with_call_cache(runtime.engine, spec)
    return runtime


class KVLikeLLM(ScriptedLLM):
    """Like llama.cpp with prompt reuse: what it writes depends on the calls since the KV cache was
    last emptied (forget_prefix), not only on the call itself."""

    since = 0

    def forget_prefix(self):
        self.since = 0

    def chat(self, messages, **kw):
        out = super().chat(messages, **kw)
        if kw.get("schema") == QUERY_SCHEMA:
            out.text = json.dumps({"query": f"{json.loads(out.text)['query']}, after {self.since} calls"})
        self.since += 1
        return out


def kv_like_cached_runtime(spec):
    from builders.run.runtime import with_call_cache

    runtime = ScriptedRuntime(KVLikeLLM(rule=rule, scores=yes))(spec)
    runtime.engine = with_call_cache(runtime.engine, spec)
    return runtime


class OverlapLLM(ScriptedLLM):
    """Each call takes a little while and notes, in the folder `seen`, when calls of several
    partitions of one process overlapped (so a test knows the partitions really ran at once)."""

    active = 0

    def __init__(self, seen: str, **kw):
        super().__init__(**kw)
        self.seen = seen

    def chat(self, messages, **kw):
        import threading

        lock = _LOCK.setdefault("lock", threading.Lock())
        with lock:
            OverlapLLM.active += 1
            if OverlapLLM.active > 1:
                open(os.path.join(self.seen, f"overlap-{os.getpid()}"), "w").close()
        try:
            time.sleep(0.05)
            return super().chat(messages, **kw)
        finally:
            with lock:
                OverlapLLM.active -= 1


_LOCK: dict = {}
