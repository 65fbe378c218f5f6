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
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from builders.recipe import load_recipe
    from builders.run import make_plan, run

    recipe = load_recipe(args.recipe, args.overrides)
    plan = make_plan(recipe, args.output)
    units = sum(len(p) for p in plan.partitions)
    console.print(f"[bold]toolmint[/bold] run [cyan]{recipe.name}[/cyan] ({plan.run_key}): {plan.method.name}, "
                  f"{units} units over {len(plan.tools)} tools in {len(plan.partitions)} partitions; "
                  f"{plan.workers} worker processes × {plan.threads} llama.cpp threads; model {plan.model.name}")
    started = time.perf_counter()
    warned: set = set()

    def progress(summary, total):
        for warning in summary.get("warnings", []):
            if warning not in warned:
                warned.add(warning)
                console.print(f"[yellow]warning:[/yellow] {warning}")
        state = "resumed" if summary.get("skipped") else f"{summary['seconds']:.1f}s"
        counts = ", ".join(f"{c} {sum(s.values())}" for c, s in summary["counts"].items())
        console.print(f"  partition {summary['index'] + 1}/{total}: {counts or 'no rows'} ({state})")

    manifest = run(plan, overwrite=args.overwrite, progress=progress)
    print_summary(manifest, plan.out_dir, time.perf_counter() - started)
    return 0


def print_summary(manifest: dict, out_dir, total_seconds: float) -> None:
    timings, tokens = manifest["timings"], manifest["tokens"]
    table = Table(title=f"{manifest['recipe']} → {out_dir}", show_header=False)
    for config, splits in manifest["configs"].items():
        table.add_row(config, " / ".join(f"{split} {n}" for split, n in sorted(splits.items())) or "0")
    for reason, n in manifest["rejected_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    table.add_row("tokens prompt / generated", f"{tokens['prompt']} / {tokens['completion']}")
    rate = timings["generated_tokens_per_s"]
    table.add_row("generated tokens/s", f"{rate}" if rate is not None else "— (all partitions resumed)")
    table.add_row("wall time", f"{total_seconds:.1f} s (pipeline {timings['wall_seconds']:.1f} s)")
    table.add_row("run", manifest["run_key"])
    for warning in manifest.get("warnings", []):
        table.add_row("[yellow]warning[/yellow]", warning)
    console.print(table)
