"""SQL over a dataset with DuckDB: one view per config, from a local folder or hf://datasets/NS/NAME."""

from __future__ import annotations

from pathlib import Path

import duckdb

from builders.errors import UserError


def connect(folder: str) -> duckdb.DuckDBPyConnection:
    root = Path(folder)
    if not root.is_dir():
        raise UserError(f"{folder}: no such dataset folder (run `toolmint run RECIPE` first)")
    con = duckdb.connect(":memory:")
    views = []
    for config in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if any(config.glob("*.parquet")):
            glob = str(config / "*.parquet").replace("'", "''")
            con.execute(f'CREATE VIEW "{config.name}" AS SELECT * FROM read_parquet(\'{glob}\', union_by_name = true)')
            views.append(config.name)
    if not views:
        raise UserError(f"{folder}: holds no Parquet shards")
    return con


def run_sql(folder: str, sql: str) -> tuple[list[str], list[tuple]]:
    from builders.dataset.hub import connect_hub, is_hub_url

    con = connect_hub(folder) if is_hub_url(folder) else connect(folder)
    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        raise UserError(f"query: {str(exc).splitlines()[0]}") from None
    if cursor.description is None:
        return [], []
    return [d[0] for d in cursor.description], cursor.fetchall()
