"""STE throughput: one fixed small STE recipe run (a) through the pipeline (Dask worker processes ×
llama.cpp threads, a tool's episodes grouped in one partition, prompt prefixes kept in the KV cache)
and (b) as the naive loop (the same stage code in one process, all cores as llama.cpp threads, one
unit at a time, no KV prefix reuse, no LLM-call cache), in the same run. Both include model loading;
the pipeline also its cluster start. The LLM-call cache is off for both: reusing old generations
would not be throughput.

Prints generated tokens/s of both, their ratio, the pipeline's share of worker time outside llama.cpp
calls, and the share of prompt tokens served from the KV cache; the last line is one JSON object.

    python benchmarks/bench_throughput.py            # BENCH_EPISODES=2 episodes per tool by default
    python benchmarks/bench_throughput.py --pipeline-only --workers 1   # scaling: 1 process × all cores
    python benchmarks/bench_throughput.py --sequences 1    # partitions per worker batched in one context
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from builders.judge import judge  # noqa: E402
from builders.llm import Engine, Metered  # noqa: E402
from builders.machine import cores  # noqa: E402
from builders.methods.base import Context  # noqa: E402
from builders.recipe import load_recipe  # noqa: E402
from builders.record import split_of  # noqa: E402
from builders.run import make_plan, run  # noqa: E402
from builders.run.runtime import process_sandbox  # noqa: E402

EPISODES = int(os.environ.get("BENCH_EPISODES", "2"))
# eight tools: eight partitions, so two workers each have four to run at once (dask.sequences)
TOOLS = "[calculator, convert_units, date_arithmetic, date_info, city_distance, percent_change, int_to_roman, prime_factors]"
OVERRIDES = [f"tools={TOOLS}", f"method.episodes={EPISODES}", "method.queries_per_episode=2", "method.max_calls_per_query=2",
             "dask.llm_cache=false"]


def naive_loop(plan) -> dict:
    """One process, all cores as llama.cpp threads, each unit on its own, the KV cache forgotten
    before every call."""
    start = time.perf_counter()
    settings = plan.settings()
    spec = settings.runtime_spec
    engine = Metered(Engine(spec.model_path, n_ctx=spec.n_ctx, n_threads=cores(), chat_format=spec.chat_format,
                            reuse_prefix=False))
    ctx = Context(engine=engine, sandbox=process_sandbox(spec.sandbox), tools={t.name: t for t in plan.tools},
                  settings=settings.method_settings, provenance=settings.provenance)
    plan.method.calibrate(ctx)  # the pipeline's first partition measures the judge too
    rows = 0
    for unit in (u for part in plan.partitions for u in part):
        for r in plan.method.run([unit], ctx):
            judge(replace(r, split=split_of(r.group, 0)), plan.method.checks)
            rows += 1
    wall = time.perf_counter() - start
    return {"tokens": engine.usage.completion_tokens, "prompt": engine.usage.prompt_tokens, "wall": wall,
            "llm_seconds": engine.usage.seconds, "rows": rows}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    args = sys.argv[1:]
    workers = args[args.index("--workers") + 1] if "--workers" in args else "auto"
    sequences = args[args.index("--sequences") + 1] if "--sequences" in args else "auto"
    recipe = load_recipe(str(ROOT / "recipes" / "quickstart.yaml"),
                         [*OVERRIDES, f"dask.workers={workers}", f"dask.sequences={sequences}"])
    with tempfile.TemporaryDirectory() as tmp:
        plan = make_plan(recipe, tmp)
        units = sum(len(p) for p in plan.partitions)
        print(f"recipe quickstart, {units} episodes in {len(plan.partitions)} partitions; {cores()} cores; {load()}")
        if "--pipeline-only" in args:
            naive = {"tokens": 0, "wall": float("inf")}
        else:
            naive = naive_loop(plan)
            print(f"naive loop, 1 process × {cores()} threads, no prefix reuse: {naive['tokens']} generated "
                  f"({naive['prompt']} prompt) tokens in {naive['wall']:.1f} s = "
                  f"{naive['tokens'] / naive['wall']:.1f} tokens/s; {load()}")
        start = time.perf_counter()
        manifest = run(plan)
        wall = time.perf_counter() - start
    tokens = manifest["tokens"]["completion"]
    naive_rate, rate = naive["tokens"] / naive["wall"], tokens / wall
    outside, share = manifest["timings"]["outside_llm_share"], manifest["prompt_cache"]["share"]
    print(f"pipeline, {plan.workers} processes × {plan.threads} threads × {plan.sequences} sequences: {tokens} generated "
          f"({manifest['tokens']['prompt']} prompt) tokens in {wall:.1f} s = {rate:.1f} tokens/s; {load()}")
    ratio = rate / naive_rate if naive_rate else None
    print(f"ratio pipeline / naive: {ratio:.2f}" if ratio else "ratio: — (pipeline only)")
    print(f"pipeline worker time outside llama.cpp calls: {outside:.1%}; prompt tokens from the KV cache: {share:.1%}")
    print(json.dumps({"bench": "throughput", "pipeline_tok_s": round(rate, 2), "naive_tok_s": round(naive_rate, 2) if naive_rate else None,
                      "ratio": round(ratio, 3) if ratio else None, "outside_llm_share": outside, "prompt_cache_share": share,
                      "workers": plan.workers, "threads": plan.threads, "sequences": plan.sequences}))


if __name__ == "__main__":
    main()
