"""`toolmint report DIR`: what a dataset covers, per tool — requests, accepted rows, the share of its
parameters and enum choices used, error cases met, distinct calls per row — its rejection reasons and
its judge's calibration; (re)draws coverage.png beside it (the plot the card shows)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def register(sub) -> None:
    p = sub.add_parser("report", help="coverage of a dataset per tool, rejection reasons, judge calibration; draws coverage.png")
    p.add_argument("folder", help="a dataset folder written by toolmint run")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from builders.cli.calibrate import calibration_table
    from builders.dataset.coverage import coverage, shares
    from builders.dataset.plot import draw

    report = coverage(args.folder)
    plot = draw(report, args.folder)
    if args.json:
        print(json.dumps({**report, "plot": str(plot) if plot else None}, indent=2, ensure_ascii=False))
        return 0
    tools = report["tools"].values()
    table = Table(title=f"{report['recipe']}: {sum(t['requests'] for t in tools)} requests, "
                        f"{sum(t['accepted'] for t in tools)} accepted")
    for column in ("tool", "requests", "accepted", "acceptance", "parameters used", "choices used",
                   "distinct calls / rows", "error cases seen"):
        table.add_column(column)
    for name, t in report["tools"].items():
        acceptance, _, _ = shares(t)
        params = f"{t['parameters_used'][0]} of {t['parameters_used'][1]}" if t["parameters_used"] else "—"
        choices = ", ".join(f"{p} {u} of {n}" for p, (u, n) in t["choices_used"].items()) or "—"
        distinct = f"{t['distinct_calls']} / {t['rows']}" if t["rows"] else "—"
        errors = ", ".join(f"{r} {n}" for r, n in sorted(t["errors"].items())) or "—"
        table.add_row(name, str(t["requests"]), str(t["accepted"]), "—" if acceptance is None else f"{acceptance:.0%}",
                      params, choices, distinct, errors)
    console.print(table)
    reasons = Table(title="rejection reasons")
    reasons.add_column("reason")
    reasons.add_column("rows")
    for reason, n in report["rejected_by_reason"].items():
        reasons.add_row(reason, str(n))
    console.print(reasons if report["rejected_by_reason"] else "rejection reasons: none")
    if report["judge_calibration"]:
        console.print(calibration_table(report["judge_calibration"]))
    else:
        console.print("judge calibration: none (no LLM judge in this run)")
    console.print(f"plot: {plot}" if plot else "plot: none (no tool has a request)")
    return 0
