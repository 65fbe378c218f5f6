"""STE — simulated trial and error (Wang et al. 2024, "LLMs in the Imaginarium").

For each tool, E episodes run in order in one process (one unit group): in each, the model imagines
up to Q user queries from the tool's documentation and its long-term memory (query.py, memory.py),
calls the tool and corrects failed calls from their errors (trial.py), answers from the observation
(answer.py) and reflects on whether it solved the query (reflection.py); episode.py chains them.
Rows are filtered by validity checks (checks.py) and an LLM judge (filtering.py), accepted queries
may be paraphrased (paraphrase.py), an earlier dataset may be replayed (replay.py), and accepted
examples become an in-context example bank with BM25 retrieval (icl.py). Configs: ste_sft,
ste_explore, ste_icl, and the generic rejected.
"""

from __future__ import annotations

from dataclasses import replace

from builders.methods.base import Method, Unit, unit_seed
from builders.methods.ste.calibration import calibrate
from builders.methods.ste.checks import CHECKS
from builders.methods.ste.diversity import duplicates, report
from builders.methods.ste.episode import run_episode
from builders.methods.ste.icl import demonstration_text, terms
from builders.methods.ste.memory import LongTermMemory
from builders.methods.ste.records import Demonstration, Episode, Example
from builders.methods.ste.replay import replay_folder, replayed
from builders.methods.ste.settings import SECTION, memory_chains

REPLAY = "replay"


class STE(Method):
    name = "ste"
    section = SECTION
    records = (Example, Episode, Demonstration)
    checks = CHECKS
    about = ("STE (simulated trial and error, Wang et al. 2024): for each tool the model imagined user queries "
             "(seeing its earlier queries and whether they were solved), called the tool in a sandbox, corrected "
             "failed calls from their errors, answered from the result and reflected on it; examples passed "
             "validity checks and an LLM judge's three questions. Configs: ste_sft (fine-tuning rows), "
             "ste_explore (whole episodes), ste_icl (demonstrations with a BM25 key).")

    def units(self, recipe, tools) -> list[Unit]:
        """A tool's episodes in `memory_chains` groups (episode i in chain i mod n), each group one
        long-term memory that runs in order; groups run at once, batched in one llama.cpp context.
        Ordered by tool: a partition's prompts share the tool's description (llama.cpp prefix cache)."""
        episodes = recipe.method["episodes"]
        chains = memory_chains(recipe.method.get("memory_chains", "auto"), len(tools), episodes)
        units = [Unit(f"{t.name}/{i}", t.name if chains == 1 else f"{t.name}#{i % chains}",
                      unit_seed(recipe.seed, t.name, i), {"tool": t.name, "episode": i, "chains": chains})
                 for t in tools for c in range(chains) for i in range(c, episodes, chains)]
        if recipe.method.get("replay_from"):
            folder = replay_folder(recipe, recipe.method["replay_from"])
            units.append(Unit(REPLAY, REPLAY, unit_seed(recipe.seed, REPLAY),
                              {"replay": folder, "fraction": recipe.method["replay_fraction"]}))
        return units

    def run(self, units, ctx):
        long_term = LongTermMemory()  # one chain of a tool's episodes: the group runs in order, in this process
        chains = next((u.data["chains"] for u in units if "chains" in u.data), None)
        if chains is not None:  # rows record the resolved number, not "auto"
            ctx = replace(ctx, settings={**ctx.settings, "memory_chains": chains})
        produced: dict = {}
        for unit in units:
            if REPLAY in unit.data:
                yield from replayed(unit.data[REPLAY], unit.data["fraction"])
            else:
                yield from run_episode(ctx, unit, long_term, produced)

    def calibrate(self, ctx):
        """The judge's thresholds and figures on exchanges whose verdict is known (calibration.py),
        stored by the judge's sha256 so a run computes them once."""
        if not ctx.settings.get("judge", True):
            return None
        p = ctx.provenance
        return calibrate(ctx, p.get("judge_model", ""), p.get("judge_sha256", "")).as_dict()

    def review(self, records):
        """Later repeats of a tool's accepted call or request are rejected (diversity.py)."""
        return duplicates(records)

    def describe(self, read, tools) -> dict:
        """Distinct calls and the share of each tool's parameters and choices used (diversity.py)."""
        return {"diversity": report(read(Example.config), tools)}

    def derive(self, records, ctx):
        """The in-context example bank: one demonstration per accepted example."""
        for ex in records:
            if isinstance(ex, Example) and ex.accepted:
                base = {k: getattr(ex, k) for k in ("group", "method", "switches", "run_hash", "recipe", "model",
                                                    "model_sha256", "seed")}
                yield Demonstration(
                    id=f"icl-{ex.id}", **base, source_id=ex.id, api_name=ex.action, query=ex.query,
                    key=terms(ex.query) or ["_"], messages=ex.messages,
                    demonstration=demonstration_text(ex.query, ex.action, ex.action_input, ex.observation,
                                                     ex.final_answer))


METHOD = STE()
