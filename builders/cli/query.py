"""`toolmint query FOLDER "SQL"`: SQL over a dataset with DuckDB, one view per config."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def register(sub) -> None:
    p = sub.add_parser("query", help="run SQL over a dataset with DuckDB (one view per config)")
    p.add_argument("folder", help="dataset folder (e.g. output/quickstart) or hf://datasets/NS/NAME")
    p.add_argument("sql", help='e.g. "SELECT tool_name, count(*) FROM ste_sft GROUP BY 1"')
    p.add_argument("--json", action="store_true", help="print rows as JSON lines")
    p.set_defaults(func=cmd_query)


def cmd_query(args) -> int:
    from builders.dataset.query import run_sql

    columns, rows = run_sql(args.folder, args.sql)
    if args.json:
        for row in rows:
            print(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False))
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
