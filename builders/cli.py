"""`toolmint` command line: run a recipe, query a dataset (and the tools / sandbox commands)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from rich.console import Console
from rich.table import Table

from builders import __version__
from builders.errors import UserError

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except UserError as exc:
        if args.debug:
            raise
        for line in exc.problems:
            errors.print(f"[red]error:[/red] {line}", markup=True, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        errors.print("interrupted: shards already written are kept; run the same command again to resume")
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolmint", description="Build tool-use training data offline.")
    parser.add_argument("--version", action="version", version=f"toolmint {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for user errors")
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="run a recipe and write its dataset")
    run.add_argument("recipe", help="recipe YAML file")
    run.add_argument("--output", help="output folder (default: the recipe's, or output/<name>)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                     help="override a recipe field, e.g. --set method.episodes=1 (repeatable)")
    run.add_argument("--overwrite", action="store_true", help="replace another run already in the output folder")
    run.set_defaults(func=cmd_run)

    query = sub.add_parser("query", help="run SQL over a dataset with DuckDB (one view per config)")
    query.add_argument("folder", help="dataset folder, e.g. output/quickstart")
    query.add_argument("sql", help='e.g. "SELECT tool_name, count(*) FROM ste GROUP BY 1"')
    query.add_argument("--json", action="store_true", help="print rows as JSON lines")
    query.set_defaults(func=cmd_query)
    for extension in ("builders.tools.commands", "sandbox.commands"):
        try:
            module = __import__(extension, fromlist=["register"])
        except ImportError:
            continue
        module.register(sub)
    for action in sub.choices.values():
        action.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def cmd_run(args) -> int:
    from builders.pipeline import make_plan, run
    from builders.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    plan = make_plan(recipe, args.output)
    console.print(f"[bold]toolmint[/bold] run [cyan]{recipe.name}[/cyan] ({plan.run_hash}): "
                  f"{sum(len(p) for p in plan.partitions)} episodes of {len(plan.tools)} tools in "
                  f"{len(plan.partitions)} partitions on {plan.workers} workers; model {plan.model.name}")
    started = time.perf_counter()

    def progress(summary, total):
        state = "resumed" if summary.get("skipped") else f"{summary['seconds']:.1f}s"
        console.print(f"  shard {summary['index'] + 1}/{total}: {summary['counts']['ste']} accepted, "
                      f"{summary['counts']['rejected']} rejected ({state})")

    manifest = run(plan, overwrite=args.overwrite, progress=progress)
    print_summary(manifest, plan.out_dir, time.perf_counter() - started)
    return 0


def print_summary(manifest: dict, out_dir, total_seconds: float) -> None:
    counts, timings, tokens = manifest["counts"], manifest["timings"], manifest["tokens"]
    table = Table(title=f"{manifest['recipe']} → {out_dir}", show_header=False)
    table.add_row("accepted (ste)", str(counts["ste"]))
    table.add_row("rejected", str(counts["rejected"]))
    for reason, n in manifest["rejected_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    table.add_row("tokens prompt / generated", f"{tokens['prompt']} / {tokens['completion']}")
    rate = timings["generated_tokens_per_s"]
    table.add_row("generated tokens/s", f"{rate}" if rate is not None else "— (all partitions resumed)")
    table.add_row("wall time", f"{total_seconds:.1f} s (pipeline {timings['wall_seconds']:.1f} s)")
    table.add_row("run", manifest["run_hash"])
    console.print(table)


def cmd_query(args) -> int:
    from builders.query import run_sql

    columns, rows = run_sql(args.folder, args.sql)
    if args.json:
        for row in rows:
            console.print_json(json.dumps(dict(zip(columns, row)), default=str))
        return 0
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    return 0


def _cell(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "…"


if __name__ == "__main__":
    sys.exit(main())
