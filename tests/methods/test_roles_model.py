"""α-UMi episodes with the real embedded model (SmolLM2-135M) and the real sandbox."""

from __future__ import annotations

import pytest

from builders.llm import get_engine
from builders.methods.base import Unit
from builders.methods.roles import Roles
from builders.methods.roles.records import Trajectory
from builders.tools import builtin_tools
from sandbox import Limits, Sandbox
from tests.methods.roles_helpers import context, judged


@pytest.mark.model
def test_real_model_episodes_execute_every_call(model_path):
    tools = builtin_tools()
    engine = get_engine(model_path, n_ctx=2048, n_threads=1)
    engine.forget_prefix()  # the process's engine may hold another test's KV cache, which changes what it samples
    units = [Unit(key="0", group="cross_domain:calculator+convert_units", seed=11,
                  data={"kind": "cross_domain", "tools": ["calculator", "convert_units"]}),
             Unit(key="1", group="one_tool:calculator", seed=12, data={"kind": "one_tool", "tools": ["calculator"]}),
             Unit(key="2", group="one_tool:convert_units", seed=13, data={"kind": "one_tool", "tools": ["convert_units"]})]
    with Sandbox(Limits(wall_s=5)) as sandbox:
        ctx = context(engine, sandbox, tools, max_steps=4)
        made = [judged(r) for r in Roles().run(units, ctx)]
    assert len(made) == 3 and all(isinstance(t, Trajectory) for t in made)
    for traj in made:
        print(traj.id, traj.outcome, traj.reasons, traj.query)
        assert traj.prompt_tokens > 0 and (traj.query or "malformed_output" in traj.reasons)
        for step in (s for s in traj.steps if s.next == "caller"):   # every call the caller made was validated and, when valid, run in the sandbox
            assert step.name in traj.tool_names and step.status and step.observation
        rows = list(Roles().derive([traj], ctx))
        assert bool(rows) == traj.accepted
    assert any(s.next == "caller" for t in made for s in t.steps)   # the model got as far as calling
