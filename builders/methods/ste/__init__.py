"""STE — simulated trial and error (Wang et al. 2024, "LLMs in the Imaginarium").

Each episode explores one tool: the model imagines a user query from the tool's documentation
(query.py), calls the tool and corrects the call from its errors (trial.py), and answers from the
observation (answer.py); episode.py chains them. A tool's episodes form one group, so they run in
order in one process.
"""

from __future__ import annotations

from builders.methods.base import Method, Unit, unit_seed
from builders.methods.ste.checks import CHECKS
from builders.methods.ste.episode import run_episode
from builders.methods.ste.records import Example
from builders.methods.ste.settings import SECTION


class STE(Method):
    name = "ste"
    section = SECTION
    records = (Example,)
    checks = CHECKS
    about = ("STE (simulated trial and error, Wang et al. 2024): the model imagined user queries for each "
             "tool, called the tool in a sandbox, corrected failed calls from their errors, and answered "
             "from the result.")

    def units(self, recipe, tools) -> list[Unit]:
        # Ordered by tool: a partition's prompts share the tool's description (llama.cpp prefix cache).
        return [Unit(f"{t.name}/{i}", t.name, unit_seed(recipe.seed, t.name, i),
                     {"tool": t.name, "episode": i}) for t in tools for i in range(recipe.method["episodes"])]

    def run(self, units, ctx):
        for unit in units:
            yield from run_episode(ctx, unit)


METHOD = STE()
