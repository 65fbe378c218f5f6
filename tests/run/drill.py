"""Runtime factories for tests that run the real CLI (through TOOLMINT_RUNTIME=module:attr) or real
Dask workers: the scripted LLM with a deterministic rule, optionally slowed down so a run can be
interrupted mid-way. Importable on Dask workers started from the repository root."""

from __future__ import annotations

import json
import os
import time

from builders.methods.ste.query import QUERY_SCHEMA
from tests.scripted import ScriptedLLM, ScriptedRuntime

ARGS = {"calculator": {"expression": "6*7"}, "date_arithmetic": {"start": "2024-01-01", "days": 3}}


def rule(messages, schema, seed):
    """A query, a call for the offered tool (the others get a wrong one), or an answer."""
    if schema == QUERY_SCHEMA:
        return {"query": f"please help, seed {seed}"}
    if schema is not None:
        name = schema["properties"]["name"]["const"]
        return {"name": name, "arguments": ARGS.get(name, {"expression": "1/0"})}
    return "The result is 42." if "42" in messages[-1]["content"] else "It is 2024-01-04."


class SlowLLM(ScriptedLLM):
    """Each call takes DRILL_DELAY_S seconds (default 0.1), like a small model would."""

    def chat(self, messages, **kw):
        time.sleep(float(os.environ.get("DRILL_DELAY_S", "0.1")))
        return super().chat(messages, **kw)


def slow_runtime(spec):
    return ScriptedRuntime(SlowLLM(rule=rule))(spec)


def fast_runtime(spec):
    return ScriptedRuntime(ScriptedLLM(rule=rule))(spec)


def cached_runtime(spec):
    """The scripted engine behind the real LLM-call cache, as local_runtime wraps the real model."""
    from builders.run.runtime import with_call_cache

    runtime = ScriptedRuntime(ScriptedLLM(rule=rule))(spec)
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

    runtime = ScriptedRuntime(KVLikeLLM(rule=rule))(spec)
    runtime.engine = with_call_cache(runtime.engine, spec)
    return runtime
