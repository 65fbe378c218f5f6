"""Which tools an episode offers: a sampled group of related tools, as α-UMi's ToolBench episodes had.

Four kinds, taken in turn so a run covers them all:
  one_tool      one tool, called several times (different values)
  domain        several tools of one domain (the built-in catalogue's `domain`; a user's file otherwise)
  cross_domain  tools from different domains
  environment   the methods of one stateful environment (write a file, then read it)
A kind with no candidates among the recipe's tools is skipped. Sampling is a function of the unit's
seed alone, so the groups do not depend on how the work is partitioned.
"""

from __future__ import annotations

import random

from builders.tools.spec import Tool

KINDS = ("one_tool", "domain", "cross_domain", "environment")


def domain_of(tool: Tool) -> str:
    return tool.domain or tool.source


def _by(tools: list[Tool], key) -> dict[str, list[Tool]]:
    out: dict[str, list[Tool]] = {}
    for t in tools:
        out.setdefault(key(t), []).append(t)
    return out


def candidates(tools: list[Tool]) -> dict[str, list[list[Tool]]]:
    """For each kind, the pools a group is drawn from (stateless tools for all kinds but environment)."""
    stateless = [t for t in tools if not t.environment]
    domains = [pool for pool in _by(stateless, domain_of).values() if len(pool) >= 2]
    environments = [pool for pool in _by([t for t in tools if t.environment], lambda t: t.environment).values()
                    if len(pool) >= 2]
    return {
        "one_tool": [[t] for t in stateless],
        "domain": domains,
        "cross_domain": [stateless] if len(_by(stateless, domain_of)) >= 2 else [],
        "environment": environments,
    }


def sample_group(kind: str, pools: list[list[Tool]], size: int, rng: random.Random) -> list[Tool]:
    """One group of `kind` from its pools: at most `size` tools, in catalogue order."""
    pool = rng.choice(pools)
    if kind == "one_tool":
        return list(pool)
    if kind == "cross_domain":
        by_domain = _by(pool, domain_of)
        chosen_domains = rng.sample(sorted(by_domain), min(max(2, size), len(by_domain)))
        picked = [rng.choice(by_domain[d]) for d in chosen_domains][:max(2, size)]
    else:
        picked = rng.sample(pool, min(max(2, size), len(pool)))
    order = {t.name: i for i, t in enumerate(pool)}
    return sorted(picked, key=lambda t: order[t.name])


def plan_groups(tools: list[Tool], episodes: int, size: int, kinds: list[str], seeds: list[int]) -> list[tuple[str, list[Tool]]]:
    """(kind, tools) for each episode: kinds in turn among those with candidates."""
    pools = candidates(tools)
    usable = [k for k in kinds if pools.get(k)]
    if not usable:
        return []
    return [(usable[i % len(usable)], sample_group(usable[i % len(usable)], pools[usable[i % len(usable)]], size,
                                                   random.Random(seeds[i])))
            for i in range(episodes)]
