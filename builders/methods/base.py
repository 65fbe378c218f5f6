"""What a method is: the seam between the pipeline and STE, CREATOR, α-UMi or a user's own method.

A method declares
  name        the recipe's `method.name`
  section     JSON Schema properties of its recipe section (defaults written there, only there);
              a `test_fraction` property sends that share of the row groups to the test split
  records     the record kinds it writes; each kind's `config` is a dataset config
  checks      what its records must pass (builders.judge.Check: record → reason code or None)
  about       a paragraph for the dataset card
and implements
  units(recipe, tools)   the work: a list of Units, each in a group that runs in order in one process
  run(units, ctx)        one group's units, in order, against a Context → records
  derive(records, ctx)   optional: more records made from a partition's accepted ones (role rows,
                         fine-tuning rows of exploration episodes); they are judged too
  combine(read)          optional: records made once from the whole dataset at the end (a
                         deduplicated tool library); `read(config)` yields every accepted row so far
  calibrate(ctx)         optional: its LLM judge measured on cases whose verdict is known (the
                         thresholds its verdicts use), called in every partition before its rows and
                         put in `ctx.calibration` (a method stores it so that it is computed once);
                         the manifest keeps the first partition's (`judge_calibration`), and its
                         warnings reach the user

The pipeline, the writer, the judge, the card and the CLI know methods only through this class.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from builders.llm import LLM
from builders.record import Record


@dataclass(frozen=True)
class Unit:
    """One piece of work. Units of one `group` run in order in one process (memory across them)."""
    key: str                        # stable and unique in the run, e.g. "calculator/3"
    group: str                      # e.g. the tool an STE episode explores
    seed: int
    data: dict = field(default_factory=dict)   # anything else the method needs (plain JSON)


def unit_seed(recipe_seed: int, *parts) -> int:
    """A seed from the recipe seed and a unit's identity: stable across runs, machines and partitionings."""
    digest = hashlib.sha256(":".join(map(str, (recipe_seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:4], "little")


@dataclass
class Context:
    """What a stage may use. Built once per worker process by the runtime; tests build their own."""
    engine: LLM        # builders.llm.LLM: .chat(messages, *, temperature, ..., schema, grammar, pin) / .chat_json
    sandbox: Any       # sandbox.Sandbox: .call_tool(target, arguments) / .run_code(code) → result dict
    tools: dict        # name → builders.tools.Tool
    settings: dict     # the recipe's method section, defaults filled
    provenance: dict = field(default_factory=dict)  # run_hash, recipe, model, model_sha256
    judge: LLM | None = None  # the engine that judges rows (None: the same as `engine`)
    calibration: dict | None = None  # the judge's thresholds (Method.calibrate), set by the partition

    def stamp(self, unit: Unit, method: str) -> dict:
        """The provenance fields every record of `unit` carries (see builders.record.Record). Its
        `group`, which decides the split, is the unit: a method may group more widely."""
        p = self.provenance
        return {"run_hash": p.get("run_hash", ""), "recipe": p.get("recipe", ""), "model": p.get("model", ""),
                "model_sha256": p.get("model_sha256", ""), "method": method, "switches": dict(self.settings),
                "seed": unit.seed, "group": unit.key}


class Method:
    name: str = ""
    section: dict = {}
    records: tuple = ()
    checks: tuple = ()
    about: str = ""

    def settings(self, section: dict | None) -> dict:
        """A recipe's method section with the defaults of `section` (the schema) filled in; the recipe
        loader calls it, and tests that build a Context by hand."""
        defaults = {k: copy.deepcopy(v["default"]) for k, v in self.section.items()
                    if isinstance(v, dict) and "default" in v}
        return {**defaults, **(section or {})}

    def units(self, recipe, tools: list) -> list[Unit]:
        raise NotImplementedError

    def run(self, units: list[Unit], ctx: Context) -> Iterable[Record]:
        raise NotImplementedError

    def derive(self, records: list[Record], ctx: Context) -> Iterable[Record]:
        return ()

    def combine(self, read: Callable[[str], Iterator[dict]], provenance: dict, sandbox=None) -> Iterable[Record]:
        """Records made once from the whole dataset (`read(config)` yields its rows); `sandbox`, when
        the run passes it, is a factory of the run's sandbox for code that must execute."""
        return ()

    def review(self, records: list[Record]) -> list[Record]:
        """A partition's judged records, with the verdicts that need several rows at once (duplicates)."""
        return records

    def describe(self, read: Callable[[str], Iterator[dict]], tools: list) -> dict:
        """Figures about the written dataset for the manifest (and card), keyed by their manifest key."""
        return {}

    def calibrate(self, ctx: Context) -> dict | None:
        """{..., "warnings": [...]} about the judge, or None when the method has no LLM judge on."""
        return None

    @property
    def configs(self) -> tuple[str, ...]:
        return tuple(r.config for r in self.records)
