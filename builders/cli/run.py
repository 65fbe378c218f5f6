"""`toolmint run RECIPE`: run a recipe and write its dataset."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def register(sub) -> None:
    p = sub.add_parser("run", help="run a recipe and write its dataset")
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("--output", help="output folder (default: the recipe's, or output/<name>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a recipe field, e.g. --set method.episodes=1 (repeatable)")
    p.add_argument("--overwrite", action="store_true", help="replace another run already in the output folder")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on an existing Dask cluster (same as dask.scheduler in the recipe); every worker needs "
                        "the model file at the same path and the output folder shared")
    p.add_argument("--no-llm-cache", action="store_true",
                   help="neither read nor write the persistent LLM-call cache (dask.llm_cache: false)")
    p.add_argument("--clear-llm-cache", action="store_true",
                   help="delete the LLM-call cache (~/.cache/toolmint/llm-calls.sqlite, or $TOOLMINT_CACHE_DIR) first")
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from builders.recipe import load_recipe
    from builders.run import make_plan, run
    from builders.run.progress import Progress
    from builders.run.runtime import runtime_from_env

    overrides = list(args.overrides)
    if args.scheduler:
        overrides.append(f"dask.scheduler={args.scheduler}")
    if args.no_llm_cache:
        overrides.append("dask.llm_cache=false")
    if args.clear_llm_cache:
        from builders.llm import callcache

        console.print(f"LLM-call cache {callcache.default_path()}: cleared {callcache.clear()} calls")
    recipe = load_recipe(args.recipe, overrides)
    plan = make_plan(recipe, args.output)
    units = sum(len(p) for p in plan.partitions)
    where = (f"workers on {recipe.dask['scheduler']} (llama.cpp threads from each worker's cores, sequences "
             "from its threads)" if plan.remote else
             f"{plan.workers} worker process{'es' if plan.workers > 1 else ''} × {plan.threads} llama.cpp threads × {plan.sequences} "
             f"sequence{'s' if plan.sequences > 1 else ''} ({plan.layout_reason})")
    console.print(f"[bold]toolmint[/bold] run [cyan]{recipe.name}[/cyan] ({plan.run_key}): {plan.method.name}, "
                  f"{units} units over {len(plan.tools)} tools in {len(plan.partitions)} partitions; "
                  f"{where}; model {plan.model.name} (sha256 {plan.model.sha256[:12]}…, from {plan.model.source})"
                  f"{'; judge ' + plan.judge.name if plan.judge else ''}; LLM-call cache {'on' if plan.llm_cache else 'off'}")
    started = time.perf_counter()
    progress = Progress(console)
    try:
        manifest = run(plan, overwrite=args.overwrite, progress=progress, runtime=runtime_from_env())
    finally:
        progress.finish()
    print_summary(manifest, plan.out_dir, time.perf_counter() - started)
    return 0


def print_summary(manifest: dict, out_dir, total_seconds: float) -> None:
    from builders.dataset.card import batch_width

    timings, tokens = manifest["timings"], manifest["tokens"]
    table = Table(title=f"{manifest['recipe']} → {out_dir}", show_header=False)
    for config, splits in manifest["configs"].items():
        table.add_row(config, " / ".join(f"{split} {n}" for split, n in sorted(splits.items())) or "0")
    for reason, n in manifest["rejected_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    table.add_row("tokens prompt / generated", f"{tokens['prompt']} / {tokens['completion']}")
    share = manifest.get("prompt_cache", {}).get("share")
    if share is not None:
        table.add_row("prompt tokens from the KV cache", f"{share:.0%}")
    cache = manifest.get("llm_cache", {})
    if cache.get("enabled"):
        table.add_row("LLM-call cache hits", f"{cache['hits']} of {cache['calls']} calls")
    rate = timings["generated_tokens_per_s"]
    table.add_row("generated tokens/s", f"{rate}" if rate is not None else "— (all partitions resumed)")
    width = batch_width(manifest)
    if width:
        table.add_row("sequences decoded together", width)
    model = manifest.get("model_time")
    if model:
        busy = f", busy {model['busy']:.0%} of the wall time" if model.get("busy") is not None else ""
        table.add_row("model time: prompts / generation",
                      f"{model['prompt_seconds']:.0f} s ({model['prompt_tokens_evaluated']} tokens evaluated) / "
                      f"{model['generation_seconds']:.0f} s{busy}")
    if timings.get("outside_llm_share") is not None:
        table.add_row("worker time outside llama.cpp", f"{timings['outside_llm_share']:.0%}")
    table.add_row("wall time", f"{total_seconds:.1f} s (pipeline {timings['wall_seconds']:.1f} s)")
    table.add_row("run", manifest["run_key"])
    for warning in manifest.get("warnings", []):
        table.add_row("[yellow]warning[/yellow]", warning)
    console.print(table)
