"""A tool library: verified tools with their code, as a Parquet table (the `tools` config a CREATOR
run writes). It loads as a toolset in any recipe (`tools: [{library: PATH}]`), so the tools one run
created can be explored by another method.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from builders.errors import UserError
from builders.record import plain_rows


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _parquet_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    for folder in (path / "tools", path):
        files = sorted(folder.glob("*.parquet"))
        if files:
            return files
    return []


def read_library(path: str | Path) -> list[dict]:
    """Rows of a library written by an earlier run (a folder or a Parquet file)."""
    import pyarrow.parquet as pq

    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{path}: no such tool library (give a dataset folder or its tools Parquet file)")
    files = _parquet_files(path)
    if not files:
        raise UserError(f"{path}: no tools Parquet file in it (expected tools/*.parquet)")
    rows = []
    for file in files:
        try:
            table = pq.read_table(file)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is the user's to fix
            raise UserError(f"{file}: not a readable Parquet file: {exc}") from None
        missing = {"name", "function", "description", "parameters", "code", "ast_hash"} - set(table.column_names)
        if missing:
            raise UserError(f"{file}: not a tool library: no column(s) {', '.join(sorted(missing))}")
        rows += plain_rows(table)
    return rows


def _cache_folder(rows: list[dict]) -> Path:
    digest = hashlib.sha256("".join(sorted(r["ast_hash"] + r["name"] for r in rows)).encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "toolmint" / "library"
    return base / digest


def load_library_tools(path: str | Path, folder: str | Path | None = None) -> list:
    """The library at `path` as builders.tools.Tool objects. Each tool's code is written to
    `folder`/<name>.py (default: a cache folder named after the library's content), and its
    target points there, so the sandbox runs it like any user's Python tool."""
    from builders.tools.spec import Tool, check_definition

    rows = read_library(path)
    folder = Path(folder) if folder else _cache_folder(rows)
    folder.mkdir(parents=True, exist_ok=True)
    tools, problems = [], []
    for row in rows:
        params = _json(row["parameters"])
        bad = check_definition(row["name"], row["description"], params)
        if bad:
            problems += [f"{path}: tool {row['name']}: {b}" for b in bad]
            continue
        file = folder / f"{row['name']}.py"
        text = row["code"].rstrip() + "\n"
        if not file.is_file() or file.read_text(encoding="utf-8") != text:
            tmp = file.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(file)
        tools.append(Tool(name=row["name"], description=row["description"], parameters=params,
                          target={"kind": "python", "file": str(file.resolve()), "function": row["function"]},
                          version=row["ast_hash"][:12], source=f"library:{path}"))
    if problems:
        raise UserError(*problems)
    return tools
