"""A small method of the tests' own, registered through the same door as the built-ins: it writes
poems about topics and, from each accepted poem, one row per line. The pipeline's tests use it so
they test the pipeline, not a method's behaviour."""

from __future__ import annotations

import dataclasses

from builders.methods import Check, Method, Unit, unit_seed
from builders.record import Record, column


@dataclasses.dataclass(frozen=True, kw_only=True)
class Haiku(Record):
    """A poem about one topic."""
    config = "haiku"
    topic: str = column("what it is about", minLength=1)
    text: str = column("the poem", default="")
    lines: int = column("how many lines", default=0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Line(Record):
    """One line of an accepted poem."""
    config = "haiku_lines"
    text: str = column("one line of an accepted poem", minLength=1)


class Poet(Method):
    name = "poet"
    section = {"topics": {"type": "array", "items": {"type": "string"}, "default": ["sea", "moon", "rain"]},
               "per_topic": {"type": "integer", "minimum": 1, "default": 1},
               "test_fraction": {"type": "number", "default": 0}}
    records = (Haiku, Line)
    checks = (Check("not_three_lines", lambda r: None if r.lines == 3 else "not_three_lines", (Haiku,)),)
    about = "A test method that writes poems."

    def units(self, recipe, tools):
        return [Unit(f"{t}/{i}", t, unit_seed(recipe.seed, t, i), {"topic": t})
                for t in recipe.method["topics"] for i in range(recipe.method["per_topic"])]

    def run(self, units, ctx):
        for unit in units:
            topic = unit.data["topic"]
            text = ctx.engine.chat([{"role": "user", "content": f"A haiku about {topic}"}], seed=unit.seed).text
            yield Haiku(id=unit.key, **ctx.stamp(unit, self.name), topic=topic, text=text,
                        lines=len(text.split("/")))

    def derive(self, records, ctx):
        for r in records:
            for i, line in enumerate(r.text.split("/")):
                yield Line(id=f"{r.id}-{i}", group=r.group, method=self.name, text=line.strip())


def verse(messages, schema, seed) -> str:
    """A scripted model: three lines about anything but the moon, one line about it."""
    return "moon" if "moon" in messages[0]["content"] else "waves / salt wind / gulls"
