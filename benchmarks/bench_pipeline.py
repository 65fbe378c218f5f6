"""STE throughput: the Dask pipeline (worker processes, one llama.cpp thread each) against a
plain loop over the same episodes in one process with all cores as llama.cpp threads.

Prints generated tokens/s for both and their ratio; the last line is one JSON object.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from builders import pipeline, ste  # noqa: E402
from builders.judge import judge  # noqa: E402
from builders.llm import Engine, cores  # noqa: E402
from builders.recipe import load_recipe  # noqa: E402
from sandbox import Limits, Sandbox  # noqa: E402

OVERRIDES = ["method.episodes=2", "method.queries_per_episode=2", "method.max_calls_per_query=2"]


def plain_loop(plan) -> tuple[int, float]:
    """The baseline: one process, model loaded here (load time included), no Dask."""
    start = time.perf_counter()
    settings = plan.settings()
    engine = Engine(settings.model_path, n_ctx=settings.n_ctx, n_threads=cores())
    with Sandbox(Limits(wall_s=5)) as box:
        ctx = ste.Context(engine=engine, sandbox=box, tools={t.name: t for t in plan.tools},
                          settings=settings.method, provenance=settings.provenance)
        tokens = sum(judge(t)["completion_tokens"] for part in plan.partitions for e in part
                     for t in ste.run_episode(ctx, e))
    return tokens, time.perf_counter() - start


def main() -> None:
    recipe = load_recipe(str(ROOT / "recipes" / "quickstart.yaml"), OVERRIDES)
    with tempfile.TemporaryDirectory() as tmp:
        plan = pipeline.make_plan(recipe, tmp)
        loop_tokens, loop_s = plain_loop(plan)
        start = time.perf_counter()
        manifest = pipeline.run(plan)  # includes cluster start and model load per worker
        cluster_s = time.perf_counter() - start
    cluster_tokens = manifest["tokens"]["completion"]
    loop_rate, cluster_rate = loop_tokens / loop_s, cluster_tokens / cluster_s
    print(f"episodes: {sum(len(p) for p in plan.partitions)}  workers: {plan.workers}")
    print(f"plain loop, 1 process × {cores()} threads: {loop_tokens} tokens in {loop_s:.1f} s = {loop_rate:.1f} tokens/s")
    print(f"dask pipeline, {plan.workers} processes × {manifest['llama_threads_per_worker']} threads: "
          f"{cluster_tokens} tokens in {cluster_s:.1f} s = {cluster_rate:.1f} tokens/s")
    print(f"ratio pipeline / loop: {cluster_rate / loop_rate:.2f}")
    print(json.dumps({"bench": "pipeline", "pipeline_tokens_per_s": round(cluster_rate, 2),
                      "loop_tokens_per_s": round(loop_rate, 2), "ratio": round(cluster_rate / loop_rate, 3),
                      "workers": plan.workers, "episodes": sum(len(p) for p in plan.partitions)}))


if __name__ == "__main__":
    main()
