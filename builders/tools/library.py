"""A tool library: verified tools with their code, as a Parquet table (the `tools` config a CREATOR
run writes). It loads as a toolset in any recipe (`tools: [{library: PATH}]`), so the tools one run
created can be explored by another method: each becomes an ordinary Python tool whose code the
sandbox runs, versioned by its code.

A bad library is a UserError naming the Parquet file, the row and the field (a name that is no
tool name, parameters that are no JSON Schema, code that does not parse or lacks its function).
"""

from __future__ import annotations

import ast
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
    return [row for _, _, row in _library_rows(path)]


_COLUMNS = {"name", "function", "description", "parameters", "code", "ast_hash"}


def _library_rows(path: str | Path) -> list[tuple[Path, int, dict]]:
    """(file, row number from 1, row) of every tool in the library at `path`."""
    import pyarrow.parquet as pq

    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{path}: no such tool library (give a dataset folder or its tools Parquet file)")
    files = _parquet_files(path)
    if not files:
        raise UserError(f"{path}: no tools Parquet file in it (expected tools/*.parquet)")
    out = []
    for file in files:
        try:
            table = pq.read_table(file)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is the user's to fix
            raise UserError(f"{file}: not a readable Parquet file: {exc}") from None
        missing = _COLUMNS - set(table.column_names)
        if missing:
            raise UserError(f"{file}: not a tool library: no column(s) {', '.join(sorted(missing))}")
        out += [(file, i, row) for i, row in enumerate(plain_rows(table), 1)]
    return out


def _field(problem: str) -> str:
    """check_definition's problem with the library column it is about."""
    for field, starts in (("name", "name "), ("description", "has no description"), ("parameters", "parameters")):
        if problem.startswith(starts):
            return f"field {field}: {problem}"
    return problem


def _code_problem(code, function) -> str | None:
    if not isinstance(code, str) or not code.strip():
        return "field code: empty"
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        return f"field code: does not parse: {getattr(exc, 'msg', exc)} (line {getattr(exc, 'lineno', '?')})"
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in names:
        return f"field function: the code defines no function {function!r}"
    return None


def _examples(row: dict) -> tuple:
    """The tool's verified calls (its tests' arguments) as example calls: a model-written tool's one-line
    docstring rarely says whether `rate` is 5 or 0.05; a call that solved a problem does."""
    tests = _json(row.get("tests")) or []
    return tuple({"arguments": _json(t["arguments"])} for t in tests[:2]
                 if isinstance(t, dict) and isinstance(_json(t.get("arguments")), dict))


def _cache_folder(rows: list[dict]) -> Path:
    digest = hashlib.sha256("".join(sorted(r["ast_hash"] + r["name"] for r in rows)).encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "toolmint" / "library"
    return base / digest


def load_library_tools(path: str | Path, folder: str | Path | None = None, include: list[str] | None = None,
                       top: int | None = None) -> list:
    """The library at `path` as builders.tools.Tool objects. Each tool's code is written to
    `folder`/<name>.py (default: a cache folder named after the library's content), and its
    target points there, so the sandbox runs it like any user's Python tool. `include` picks tools
    by name; `top` keeps the N that solved most problems (`uses`, then name): a library of a full
    run holds dozens, and a recipe exploring them may want the proven ones."""
    from builders.tools.spec import Tool, check_definition

    found = _library_rows(path)
    if include is not None:
        wanted = set(include)
        missing = sorted(wanted - {row.get("name") for _, _, row in found})
        if missing:
            raise UserError(f"{path}: include names tools the library does not have: {', '.join(missing)}")
        found = [f for f in found if f[2].get("name") in wanted]
    if top is not None:
        found = sorted(found, key=lambda f: (-int(f[2].get("uses") or 0), str(f[2].get("name"))))[:top]
    folder = Path(folder) if folder else _cache_folder([row for _, _, row in found])
    folder.mkdir(parents=True, exist_ok=True)
    tools, problems = [], []
    for file, n, row in found:
        where = f"{file}: row {n} (tool {row.get('name')!r})"
        try:
            params = _json(row["parameters"])
        except (TypeError, json.JSONDecodeError) as exc:
            problems.append(f"{where}: field parameters: not JSON: {exc}")
            continue
        bad = [_field(b) for b in check_definition(row["name"], row["description"], params)]
        bad += [p for p in [_code_problem(row["code"], row["function"])] if p]
        if bad:
            problems += [f"{where}: {b}" for b in bad]
            continue
        file_py = folder / f"{row['name']}.py"
        text = row["code"].rstrip() + "\n"
        if not file_py.is_file() or file_py.read_text(encoding="utf-8") != text:
            tmp = file_py.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(file_py)
        tools.append(Tool(name=row["name"], description=row["description"], parameters=params,
                          target={"kind": "python", "file": str(file_py.resolve()), "function": row["function"]},
                          version=row.get("version") or row["ast_hash"][:12], source=f"library:{path}",
                          examples=_examples(row)))
    if problems:
        raise UserError(*problems)
    return tools
