"""α-UMi — planner / caller / summarizer (Shen et al. 2024, "Small LLMs Are Weak Tool Learners: A
Multi-LLM Agent") as a toolmint method.

Multi-step, multi-tool episodes over sampled groups of related tools (groups.py) are generated,
executed and judged (episode.py, checks.py); each accepted one is sliced into α-UMi's role rows
(rows.py): `backbone` for stage 1, `planner`, `caller`, `summarizer` for stage 2, in α-UMi's own
`{tools, history, input, target}` format (template.py) beside the chat contract.
"""

from __future__ import annotations

from collections import Counter

from builders.judge import Check
from builders.methods.base import Context, Method, Unit, unit_seed
from builders.methods.roles import checks, groups, rows, single_calls
from builders.methods.roles.episode import run_episode
from builders.methods.roles.records import (BackboneRow, CallerRow, PlannerRow, RoleRow, SummarizerRow,
                                            Trajectory)

SECTION = {
    "episodes": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 8,
                 "description": "multi-step episodes in the run (each over one sampled group of tools)"},
    "single_calls_from": {"type": "string", "minLength": 1,
                          "description": "an earlier dataset folder whose single-call examples (STE's) also "
                                         "become role rows"},
    "max_steps": {"type": "integer", "minimum": 2, "maximum": 20, "default": 6,
                  "description": "planner turns per episode; at the last one it must conclude or give up"},
    "tools_per_episode": {"type": "integer", "minimum": 2, "maximum": 8, "default": 3,
                          "description": "tools offered in a domain, cross-domain or environment episode"},
    "kinds": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(groups.KINDS)},
              "default": list(groups.KINDS),
              "description": "how tools are grouped, taken in turn: one_tool, domain, cross_domain, environment"},
    "min_calls": {"type": "integer", "minimum": 1, "maximum": 10, "default": 2,
                  "description": "successful calls a concluded episode needs"},
    "give_up_after": {"type": "integer", "minimum": 1, "maximum": 10, "default": 2,
                      "description": "a give-up is kept only when this many last calls all failed"},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 0.7,
                    "description": "sampling temperature of the request and the planner"},
    "call_temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 0.2,
                         "description": "sampling temperature of the caller and the summarizer"},
    "max_tokens": {"type": "integer", "minimum": 16, "maximum": 4096, "default": 160},
    "grounding": {"type": "boolean", "default": True,
                  "description": "the caller's grammar copies call values from the request and earlier results "
                                 "(builders/methods/grounding.py); the summarizer writes its own sentence"},
    "candidates": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3,
                   "description": "best of n: a request with problems, or a call that repeats a successful one, is "
                                  "sampled again, up to n times; the discarded ones are kept in `candidates`"},
    "test_fraction": {"type": "number", "minimum": 0, "maximum": 0.9, "default": 0.1,
                      "description": "share of trajectories (with all their role rows) in the test split"},
    "chain_episodes": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 4,
                       "description": "episodes over one tool group that run in order and remember each "
                                      "other's requests; a group with more is split into several such chains, "
                                      "which run at once (run-wide dedup still drops a repeated request)"},
}


class Roles(Method):
    name = "roles"
    section = SECTION
    records = (Trajectory, BackboneRow, PlannerRow, CallerRow, SummarizerRow)
    checks = (
        Check("query_unnatural", checks.query_unnatural, (Trajectory,)),
        Check("query_conditional", checks.query_conditional, (Trajectory,)),
        Check("call_not_executed", checks.calls_executed, (Trajectory,)),
        Check("unfinished", checks.finished, (Trajectory,)),
        Check("concluded_well", checks.concluded_well, (Trajectory,)),
        Check("give_up_unjustified", checks.gave_up_fairly, (Trajectory,)),
        Check("give_up_unclear", checks.give_up_plain, (Trajectory,)),
        Check("repeated_call", checks.no_repeats, (Trajectory,)),
        Check("call_undoes_earlier", checks.undoes_earlier, (Trajectory,)),
        Check("argument_unfounded", checks.arguments_founded, (Trajectory,)),
        Check("call_after_needs_met", checks.needs_met_last, (Trajectory,)),
        Check("call_unneeded", checks.calls_needed, (Trajectory,)),
        Check("subrequest_unserved", checks.requests_served, (Trajectory,)),
        Check("thought_degenerate", checks.thoughts, (Trajectory,)),
        Check("answer", checks.answer, (Trajectory,)),
        Check("answer_contradicts", checks.answer_matches_results, (Trajectory,)),
        Check("role_format", checks.role_format, (RoleRow,)),
    )
    about = ("Multi-step, multi-tool trajectories in the manner of α-UMi (Shen et al. 2024): a planner writes "
             "a rationale and chooses caller, conclusion or give up; a caller makes each call, executed in the "
             "sandbox; a summarizer answers. Accepted trajectories are sliced into α-UMi's role rows: `backbone` "
             "(stage 1) and `planner`, `caller`, `summarizer` (stage 2), in α-UMi's {tools, history, input, target} "
             "format and in the chat contract; splits are made by trajectory.")

    def units(self, recipe, tools: list) -> list[Unit]:
        """One unit per episode; its tool group is drawn from the unit's seed. Units over the same group
        share a `group`, so they run in order in one process and remember each other's requests, in
        chains of at most `chain_episodes`: one chain per tool group left 80 episodes in 19 partitions,
        the longest 15 episodes run in order, so the batch held 6.6 sequences of 16 on average as
        partitions finished (160 episodes in chains of 4: 12.9). Chains come from the recipe alone, so
        the partitioning is the same on any machine."""
        s = self.settings(recipe.method)
        seed = getattr(recipe, "seed", 0)
        seeds = [unit_seed(seed, "roles", i) for i in range(s["episodes"])]
        planned = groups.plan_groups(list(tools), s["episodes"], s["tools_per_episode"], s["kinds"], seeds) if seeds else []
        names = [f"{kind}:{'+'.join(t.name for t in chosen)}" for kind, chosen in planned]
        chains = {name: -(-n // s["chain_episodes"]) for name, n in Counter(names).items()}
        seen: dict[str, int] = {}
        units = []
        for i, ((kind, chosen), name) in enumerate(zip(planned, names)):
            nth = seen[name] = seen.get(name, -1) + 1  # the group's episodes dealt round the chains
            group = name if chains[name] == 1 else f"{name}#{nth % chains[name]}"
            units.append(Unit(key=f"{i}", group=group, seed=seeds[i], data={"kind": kind, "tools": [t.name for t in chosen]}))
        if s.get("single_calls_from"):
            found = single_calls.examples(single_calls.source_files(recipe, s["single_calls_from"]))
            units += [Unit(key=f"single/{ex['id']}", group=ex.get("group") or ex["id"], seed=0,
                           data={"kind": "single_call", "example": ex}) for ex in found]
        return units

    def run(self, units: list[Unit], ctx: Context):
        memory: dict[str, list[str]] = {}
        for unit in units:
            if unit.data["kind"] == "single_call":  # an earlier dataset's example: sliced, not generated
                yield from rows.from_single_call(unit.data["example"], unit.data["example"]["tools"])
            else:
                yield run_episode(ctx, unit, memory.setdefault(unit.group, []), self.name)

    def derive(self, records, ctx: Context):
        """α-UMi's role rows from every accepted trajectory (given ups too: the planner learns to give up)."""
        for record in records:
            if isinstance(record, Trajectory) and record.accepted:
                yield from rows.from_trajectory(record)


__all__ = ["Roles", "SECTION", "Trajectory", "BackboneRow", "PlannerRow", "CallerRow",
           "SummarizerRow"]
