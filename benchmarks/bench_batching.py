"""Throughput with a capable model: the pipeline against llama.cpp's own rates, in one run.

For each model (Qwen2.5-Coder-1.5B, the default, and the 0.5B) this measures
  single    llama.cpp alone: one sequence, all cores, greedy steps (benchmarks/rawrate.py)
  batched   llama.cpp alone: N sequences in one context, one llama_decode per step, N = the
            pipeline's choice (`dask.sequences: auto`)
  pipeline  the STE, CREATOR and roles recipes through `run` (Dask, sandbox, checks, Parquet), the
            LLM-call cache off; generated tokens / wall time, model load and cluster start included
  reading   llama.cpp alone: prompt tokens/s, a 512-token chunk into an empty sequence
and prints pipeline / single and pipeline / batched, one JSON line per model and recipe, and where
the pipeline's wall time went (the manifest's `model_time`: llama.cpp's seconds on prompts and on
generation steps, and how busy it was). Generated
tokens/s alone undersells a pipeline whose prompts are most of its work (STE: about five prompt
tokens evaluated per generated one, after the KV cache), so it also prints the floor: the seconds
llama.cpp alone would need for the same work (the prompt tokens the pipeline evaluated at the
`reading` rate plus its generated tokens at the `batched` rate), and pipeline wall / floor.

    python benchmarks/bench_batching.py                       # both models, all three recipes
    BENCH_MODELS=1.5b BENCH_RECIPES=ste python benchmarks/bench_batching.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.rawrate import prompt_rate, raw_rate  # noqa: E402
from builders.machine import cores  # noqa: E402
from builders.model_file import resolve_model  # noqa: E402
from builders.recipe import load_recipe  # noqa: E402
from builders.run import make_plan, run  # noqa: E402

MODELS = {"1.5b": "package:qwen2.5-coder-1.5b-instruct", "0.5b": "package:qwen2.5-coder-0.5b-instruct"}
# Each recipe as shipped, made smaller so a model's three runs take minutes, with enough
# independent groups (STE memory chains, CREATOR problem groups, α-UMi episodes) to fill a batch.
RECIPES = {
    "ste": ("ste.yaml", ["method.episodes=2", "method.queries_per_episode=2", "method.paraphrases=0"]),
    "creator": ("creator.yaml", ["method.limit=24"]),
    "roles": ("roles.yaml", ["method.episodes=16"]),
}


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def pipeline(recipe_file: str, overrides: list[str], model: str) -> dict:
    recipe = load_recipe(str(ROOT / "recipes" / recipe_file), [*overrides, f"model={model}", "dask.llm_cache=false"])
    with tempfile.TemporaryDirectory() as tmp:
        plan = make_plan(recipe, tmp)
        start = time.perf_counter()
        manifest = run(plan)
        wall = time.perf_counter() - start
    tokens = manifest["tokens"]
    return {"wall": wall, "generated": tokens["completion"], "prompt": tokens["prompt"],
            "prompt_cache_share": manifest["prompt_cache"]["share"],
            "prompt_cached": manifest["prompt_cache"]["cached_tokens"], "partitions": len(plan.partitions),
            "workers": plan.workers, "threads": plan.threads, "sequences": plan.sequences,
            "accepted": {c: sum(s.values()) for c, s in manifest["configs"].items()},
            "model_time": manifest["model_time"], "mean_width": manifest["batch"]["mean_width"]}


def main() -> None:
    models = [m for m in os.environ.get("BENCH_MODELS", "1.5b,0.5b").split(",") if m]
    recipes = [r for r in os.environ.get("BENCH_RECIPES", "ste,creator,roles").split(",") if r]
    for key in models:
        model = MODELS[key]
        path = resolve_model(model).path
        probe = make_plan(load_recipe(str(ROOT / "recipes" / "ste.yaml"), [f"model={model}"]), tempfile.mkdtemp())
        n, threads = probe.sequences, probe.threads
        single = raw_rate(path, 1, cores())
        batched = raw_rate(path, n, threads)
        reading = prompt_rate(path, threads)
        print(f"{key}: llama.cpp alone, 1 sequence × {cores()} threads: {single['tok_s']:.1f} generated tok/s; "
              f"{n} sequences × {threads} threads: {batched['tok_s']:.1f}; prompt: {reading['tok_s']:.1f} tok/s "
              f"({load()})", flush=True)
        for name in recipes:
            recipe_file, overrides = RECIPES[name]
            got = pipeline(recipe_file, overrides, model)
            rate = got["generated"] / got["wall"]
            evaluated = got["prompt"] - got["prompt_cached"]
            floor = evaluated / reading["tok_s"] + got["generated"] / batched["tok_s"]
            print(f"{key} {name}: pipeline {got['workers']} process × {got['threads']} threads × {got['sequences']} "
                  f"sequences over {got['partitions']} partitions: {got['generated']} generated "
                  f"({got['prompt']} prompt, {got['prompt_cache_share']:.0%} from the KV cache) in {got['wall']:.1f} s "
                  f"= {rate:.1f} tok/s; pipeline / single {rate / single['tok_s']:.2f}, "
                  f"pipeline / batched {rate / batched['tok_s']:.2f}; {evaluated} prompt tokens evaluated, so llama.cpp "
                  f"alone needs at least {floor:.0f} s: pipeline wall / floor {got['wall'] / floor:.2f} ({load()})", flush=True)
            spent = got["model_time"]
            print(f"{key} {name}: where the wall time went: llama.cpp busy {spent['busy']:.0%} — prompts "
                  f"{spent['prompt_seconds']:.0f} s ({spent['prompt_tokens_per_s']:.0f} tok/s), generation "
                  f"{spent['generation_seconds']:.0f} s ({spent['generated_tokens_per_s']:.1f} tok/s at "
                  f"{got['mean_width']} sequences per step on average)", flush=True)
            print(json.dumps({"bench": f"batching-{key}-{name}", "pipeline_tok_s": round(rate, 2),
                              "single_tok_s": round(single["tok_s"], 2), "batched_tok_s": round(batched["tok_s"], 2),
                              "pipeline_over_single": round(rate / single["tok_s"], 3),
                              "pipeline_over_batched": round(rate / batched["tok_s"], 3),
                              "sequences": got["sequences"], "workers": got["workers"], "threads": got["threads"],
                              "wall_s": round(got["wall"], 1), "generated": got["generated"], "prompt": got["prompt"],
                              "prompt_cache_share": got["prompt_cache_share"], "prompt_tok_s": round(reading["tok_s"], 1),
                              "prompt_evaluated": evaluated, "floor_s": round(floor, 1),
                              "wall_over_floor": round(got["wall"] / floor, 3), "accepted": got["accepted"],
                              "busy": spent["busy"], "prompt_s": spent["prompt_seconds"],
                              "generation_s": spent["generation_seconds"], "mean_width": got["mean_width"]}), flush=True)


if __name__ == "__main__":
    main()
