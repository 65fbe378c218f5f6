"""SQL over a small shipped database: a bookshop (authors, books, customers, orders).

The database is builders/tools/data/bookshop.sql (made by build_bookshop.py, CC0), loaded into an
in-memory SQLite database for each call and opened query-only, so a call can read but never change it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from builders.tools.pyfuncs import tool

DATA = Path(__file__).resolve().parent.parent / "data" / "bookshop.sql"
TABLES = ("authors", "books", "customers", "orders")
Table = Literal["authors", "books", "customers", "orders"]


def _connect() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(DATA.read_text(encoding="utf-8"))
    db.execute("PRAGMA query_only = ON")
    return db


@tool("1", params={"query": {"minLength": 1, "maxLength": 2000}, "max_rows": {"minimum": 1, "maximum": 200}})
def sql_query(query: str, max_rows: int = 50) -> dict:
    """Run one read-only SQL (SQLite) SELECT on the bookshop database — tables authors(id, name, country,
    born), books(id, title, author_id, year, genre, price, stock), customers(id, name, city, country,
    joined), orders(id, customer_id, book_id, quantity, order_date). Fails on invalid SQL or writes.

    Args:
        query: e.g. "SELECT genre, COUNT(*) FROM books GROUP BY genre"
        max_rows: return at most this many rows
    """
    text = query.strip().rstrip(";").strip()
    if not text.lower().startswith(("select", "with")):
        raise ValueError("only SELECT queries (or WITH … SELECT) are allowed")
    db = _connect()
    try:
        cursor = db.execute(text)
        rows = cursor.fetchmany(max_rows + 1)
    except sqlite3.Error as exc:
        raise ValueError(f"SQL error: {exc}") from None
    finally:
        db.close()
    columns = [d[0] for d in cursor.description or []]
    return {"columns": columns, "rows": [list(r) for r in rows[:max_rows]], "row_count": min(len(rows), max_rows),
            "truncated": len(rows) > max_rows}


@tool("1")
def list_tables() -> dict:
    """List the bookshop database's tables with their columns and row counts."""
    db = _connect()
    try:
        out = []
        for table in TABLES:
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            count = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            out.append({"table": table, "columns": cols, "rows": count})
    finally:
        db.close()
    return {"tables": out}


@tool("1", params={"sample_rows": {"minimum": 0, "maximum": 10}})
def describe_table(table: Table, sample_rows: int = 3) -> dict:
    """The columns (name, type, key) of one bookshop table and its first few rows.

    Args:
        table: the table's name
        sample_rows: how many rows to show
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r} (tables: {', '.join(TABLES)})")
    db = _connect()
    try:
        cols = [{"name": r[1], "type": r[2], "not_null": bool(r[3]), "primary_key": bool(r[5])}
                for r in db.execute(f"PRAGMA table_info({table})")]
        refs = {r[3]: f"{r[2]}.{r[4]}" for r in db.execute(f"PRAGMA foreign_key_list({table})")}
        for c in cols:
            if c["name"] in refs:
                c["references"] = refs[c["name"]]
        sample = [list(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid LIMIT ?", (sample_rows,))]
    finally:
        db.close()
    return {"table": table, "columns": cols, "sample": sample}
