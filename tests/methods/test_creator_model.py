"""CREATOR with the real embedded model on two problems of one group: the stages run and every
attempt is recorded (whether the 135M model is right is not the point)."""

import pytest

from builders.llm import get_engine
from builders.methods.base import Context
from builders.methods.creator import CREATOR
from builders.methods.creator.records import CHECKS, CreatorRow
from builders.record import schema_problems
from sandbox import Sandbox
from sandbox.limits import Limits


@pytest.mark.model
def test_real_model_runs_every_stage(model_path, tmp_path):
    class Recipe:
        method = {"problems": ["builtin"], "categories": ["algebra"], "limit": 2, "max_regenerations": 1,
                  "max_rounds": 1, "max_tokens": 200}
        base_dir, seed = ".", 0
    method = CREATOR()
    units = method.units(Recipe, [])
    assert len(units) == 2 and units[0].group == units[1].group
    with Sandbox(Limits(wall_s=5)) as box:
        ctx = Context(engine=get_engine(model_path, n_ctx=2048), sandbox=box, tools={},
                      settings=CREATOR().settings(Recipe.method), provenance={"run_hash": "model-test"})
        rows = list(method.run(units, ctx))
    assert len(rows) == 2
    for row in rows:
        assert isinstance(row, CreatorRow) and schema_problems(row) == []
        assert row.attempts and row.completion_tokens > 0
        stages = [a.stage for a in row.attempts]
        # creation tries (1 + regenerations at most), then at most 1 + max_rounds executions per tool tried
        assert stages.count("creation") == row.creations <= 2
        assert stages.count("rectification") <= 2 * (1 + 1)
        if row.tool_code and row.creations:
            assert "decision" in stages
        verdict = [r for c in CHECKS for r in [c.fn(row)] if r]
        assert row.correct or verdict  # a wrong row always carries a reason
        print(row.problem_id, stages, [a.status for a in row.attempts], row.final_answer, row.correct, verdict)
