"""CREATOR — tool creation (Qian et al. 2023, "CREATOR: Tool Creation for Disentangling Abstract and
Concrete Reasoning of Large Language Models", arXiv 2305.14318).

For each problem the model writes a general, documented tool (creation.py), decides how to call it
for this problem (decision.py), the two run in the sandbox (execution.py), and errors go back to
the model for repair (rectification.py); trajectory.py strings the stages together. Tools that gave
correct answers become a deduplicated library (library.py) that later problems of the same group,
later runs (`library:` in the recipe section) and other methods (as a toolset) reuse.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from builders.errors import UserError
from builders.methods.base import Context, Method, Unit, unit_seed
from builders.methods.creator import ablation, library as lib, programs
from builders.methods.creator.creation import Tool
from builders.methods.creator.problems import BUILTIN, load_problems, problem_of, resolve
from builders.methods.creator.records import CHECKS, AblationRow, CreatorRow, LibraryTool
from builders.methods.creator.trajectory import run_problem
from builders.record import Record, split_of

SECTION = {
    "problems": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                 "default": [BUILTIN],
                 "description": "problem sets (JSONL or Parquet; `builtin` is the shipped set of 144)"},
    "limit": {"type": "integer", "minimum": 0, "default": 0,
              "description": "solve only the first N problems (0: all)"},
    "categories": {"type": "array", "items": {"type": "string"}, "default": [],
                   "description": "solve only problems of these categories (empty: all)"},
    "max_regenerations": {"type": "integer", "minimum": 0, "maximum": 10, "default": 2,
                          "description": "creation retries when the function does not parse or cannot be described"},
    "max_rounds": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3,
                   "description": "rectification rounds after an error, a timeout or a missing answer"},
    "candidates": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1,
                   "description": "best-of-n: tools created (other seeds) until one runs and prints an answer"},
    "select": {"type": "string", "enum": ["answer", "correct"], "default": "answer",
               "description": "which candidate ends the search: the first that prints an answer, or the first "
                              "whose answer is correct (rejection sampling; the gold never enters a prompt)"},
    "grammar": {"type": "boolean", "default": True,
                "description": "shape replies with GBNF grammars: a typed, documented function; a keyword "
                               "call of it that prints the answer"},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 0.3},
    "max_tokens": {"type": "integer", "minimum": 32, "maximum": 2048, "default": 320,
                   "description": "generated tokens per model call (code needs more than chat)"},
    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 60, "default": 5,
                  "description": "wall and CPU limit of one execution in the sandbox"},
    "transfer": {"type": "boolean", "default": True,
                 "description": "reuse a tool verified on an earlier problem of the same group"},
    "library": {"type": "string", "default": "",
                "description": "a tool library from an earlier run (dataset folder or tools Parquet) to "
                               "try before creating a tool ('' for none)"},
    "min_retrieval_score": {"type": "number", "minimum": 0, "default": 1.0,
                            "description": "BM25 score a library tool needs to be tried"},
    "test_fraction": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.1,
                      "description": "share of problem groups whose rows go to the test split"},
    "ablations": {"type": "array", "uniqueItems": True, "default": [],
                  "items": {"type": "string", "pattern": ablation.PATTERN},
                  "description": "variants run over the same problems with the same seeds, rows in config "
                                 "`ablation`: no_rectification, no_transfer, no_grammar, best_of_N (N 1..10)"},
}


@lru_cache(maxsize=8)
def _library(path: str) -> lib.Library:
    return lib.Library(lib.read_library(path))


class CREATOR(Method):
    name = "creator"
    section = SECTION
    records = (CreatorRow, LibraryTool, AblationRow)
    checks = CHECKS
    about = ("CREATOR (Qian et al. 2023): for each problem the model wrote a general, documented Python tool, "
             "decided how to call it, ran both in the sandbox and repaired them from the errors. `creator` "
             "holds the solved problems (every attempt, and a chat form: problem → tool call → result → "
             "answer); `tools` the library of distinct tools (by normalised AST hash, then by behaviour on probe inputs run "
             "in the sandbox) that gave correct answers, each with its tests and provenance; `ablation` (when the "
             "recipe asks for ablations) the same problems solved by variants of the method, for measurement.")

    def units(self, recipe, tools: list) -> list[Unit]:
        s = self.settings(recipe.method)
        base = getattr(recipe, "base_dir", ".")
        problems, seen = [], set()
        for ref in s["problems"]:
            for p in load_problems(ref, base):
                if p.id in seen:
                    raise UserError(f"{resolve(ref, base)}: problem id {p.id!r} is already in an earlier problem set")
                seen.add(p.id)
                if not s["categories"] or p.category in s["categories"]:
                    problems.append(p)
        if s["limit"]:
            problems = problems[:s["limit"]]
        library = ""
        if s["library"]:
            path = Path(s["library"]).expanduser()
            library = str(path if path.is_absolute() else Path(base) / path)
            lib.read_library(library)  # a bad library fails the recipe now, not in a worker
        seed = int(getattr(recipe, "seed", 0))
        units = []
        for variant in ["", *s["ablations"]]:
            # a variant runs the same problems with the same seeds, in groups of its own
            lib_path = "" if ablation.overrides(variant).get("library") == "" else library
            prefix = f"{variant}/" if variant else ""
            units += [Unit(key=prefix + p.id, group=prefix + p.unit_group, seed=unit_seed(seed, self.name, p.id),
                           data={"problem": p.to_dict(), "library": lib_path, "variant": variant})
                      for p in problems]
        return units

    def run(self, units: list[Unit], ctx: Context) -> Iterable[Record]:
        """One group's problems in order; a tool verified on one is tried first on the next."""
        verified: list[Tool] = []
        for unit in units:
            variant = unit.data.get("variant", "")  # one group's units share their variant
            ctx = replace(ctx, settings={**ctx.settings, **ablation.overrides(variant)}) if variant else ctx
            problem = problem_of(unit.data["problem"])
            reuse = list(verified[-1:]) if ctx.settings["transfer"] else []
            if not reuse and unit.data.get("library"):
                hit = _library(unit.data["library"]).retrieve(problem.prompt(), ctx.settings["min_retrieval_score"])
                if hit:
                    reuse = [library_tool(hit)]
            # the problem group decides the split (a variant's row shares its problem's): a group's
            # problems share their skill and tool
            base = dict(ctx.stamp(unit, self.name), id=f"{ctx.provenance.get('run_hash', 'run')[:12]}-{unit.key}",
                        group=problem.unit_group, split=split_of(problem.unit_group, ctx.settings["test_fraction"]))
            if variant:
                row = run_problem(ctx, unit, problem, reuse, dict(base, variant=variant), kind=AblationRow)
            else:
                row = run_problem(ctx, unit, problem, reuse, base)
            if row.correct and row.tool_spec and row.documented and not programs.hard_coded(row.tool_code, row.tool_name):
                verified.append(Tool(row.tool_code, row.tool_name, row.tool_spec, True, "group", row.tool_hash))
            yield row

    def combine(self, read: Callable[[str], Iterator[dict]], provenance: dict, sandbox=None) -> Iterable[Record]:
        """The library: `sandbox` (a factory of the run's sandbox) runs the behavioural dedup."""
        return lib.combine(read(CreatorRow.config), {**provenance, "method": self.name},
                           sandbox=sandbox() if sandbox else None)

    def describe(self, read: Callable[[str], Iterator[dict]], tools: list) -> dict:
        """Accuracy per category and the ablation table, over accepted and rejected rows alike."""
        rows = [dict(r, variant="") for r in read(CreatorRow.config)]
        rows += list(read(AblationRow.config))
        for r in read("rejected"):
            if r.get("kind") in (CreatorRow.config, AblationRow.config):
                rows.append({**r["record"], "variant": r["record"].get("variant", "")})
        variants = ablation.ordered({r["variant"] for r in rows if r["variant"]})
        fig = ablation.figures(rows, variants)
        return {"creator": fig, "tables": ablation.tables(fig)} if fig["problems"] else {}


def library_tool(row: dict) -> Tool:
    """A library row as a tool to reuse."""
    spec = {"name": row["function"], "description": row["description"], "parameters": lib._json(row["parameters"])}
    return Tool(row["code"], row["function"], spec, True, "library", row["ast_hash"])


__all__ = ["CREATOR", "SECTION", "load_problems"]
