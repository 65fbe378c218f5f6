"""`toolmint calibrate RECIPE`: measure the recipe's LLM judge on cases whose verdict is known, in
seconds, before a long run whose rows it would filter (the run does the same in its first partition)."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="measure the recipe's LLM judge on cases whose verdict is known")
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a recipe field, e.g. --set judge_model=models/bigger.gguf (repeatable)")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args) -> int:
    """Exit status 0 when every judge question reaches a useful AUC on the held-out cases, 1 when the
    run would drop one; 2 for a recipe whose method has no LLM judge on."""
    from builders.errors import UserError
    from builders.methods.base import Context
    from builders.recipe import load_recipe
    from builders.run import make_plan
    from builders.run.runtime import runtime_from_env

    recipe = load_recipe(args.recipe, args.overrides)
    plan = make_plan(recipe, None)
    settings = plan.settings(runtime_from_env())
    spec = settings.runtime_spec  # one process here: every core for llama.cpp (n_threads 0)
    spec = replace(spec, n_threads=0, judge=replace(spec.judge, n_threads=0) if spec.judge else None)
    runtime = settings.runtime(spec)
    ctx = Context(engine=runtime.engine, sandbox=runtime.sandbox, tools={}, settings=settings.method_settings,
                  provenance=settings.provenance, judge=runtime.judge)
    result = plan.method.calibrate(ctx)
    if result is None:
        raise UserError(f"{recipe.path}: method {plan.method.name!r} has no LLM judge to calibrate "
                        "(STE with `method.judge: true` has one)")
    console.print(calibration_table(result))
    t = result.get("together") or {}
    if t.get("questions"):
        console.print(f"asked together, as a row is judged: {t['pass']:.0%} of {t['sound']} sound exchanges passed, "
                      f"{t['catch']:.0%} of {t['flawed']} flawed caught (held out)")
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
    return 1 if result["dropped"] else 0


def calibration_table(result: dict) -> Table:
    """Per question: the threshold chosen on one half of the cases, and the other half's figures
    (pass: sound exchanges judged yes; catch: flawed ones judged no; held out: sound / flawed)."""
    held = sum(c["half"] == "held_out" for c in result["cases"])
    how = "stored, not recomputed" if result.get("from_cache") else f"{result['seconds']} s"
    table = Table(title=f"judge {result['judge']}: {len(result['cases'])} cases; threshold from one half, "
                        f"figures from the other ({held} cases; {how})")
    for column in ("question", "threshold", "AUC", "pass", "catch", "held out", "AUC tune", "run"):
        table.add_column(column, no_wrap=True)
    for q, f in result["questions"].items():
        table.add_row(q, f"{f['threshold']:+.2f}", _num(f["auc"]), f"{f['pass']:.0%}", f"{f['catch']:.0%}",
                      f"{f['sound']}/{f['flawed']}", _num(f["auc_tune"]),
                      "dropped" if q in result["dropped"] else "used")
    return table


def _num(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"
