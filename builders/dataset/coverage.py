"""Coverage of a written dataset, per tool: how many requests were made for it, how many rows were
accepted, how much of its interface the accepted calls used (parameters, choices of enum
parameters: the manifest's `diversity`), which error cases its calls met (a failed call's reason:
invalid arguments, an execution error, a timeout …), and distinct calls per row. A user reads it
to see which tools the data teaches and which it barely touches; `toolmint report` prints it, and
the run draws it (plot.py) beside the dataset for the card.

Read from the Parquet shards with DuckDB (the configs whose rows are requests for one tool, with a
`tool_name` and their `trials`: STE's `ste_sft`; rejected rows of those kinds by their record's) and
the manifest; a method whose rows are not requests for one tool gets no per-tool figures."""

from __future__ import annotations

from pathlib import Path

from builders.dataset.shards import read_json
from builders.errors import UserError

PLOT = "coverage.png"


def _configs_with(con, folder: Path, configs, column: str) -> list[str]:
    """The run's configs (the manifest's: never a folder of the user's beside them) with `column`."""
    out = []
    for name in sorted(c for c in configs if c != "rejected"):
        files = sorted((folder / name).glob("*.parquet"))
        if files and column in {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_list(files)})").fetchall()}:
            out.append(name)
    return out


def _list(files) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def coverage(folder: str | Path) -> dict:
    """{tools: {name: {requests, accepted, rejected, acceptance, rows, distinct_calls, parameters_used,
    choices_used, errors: {reason: n}}}, rejected_by_reason, judge_calibration, summary}."""
    import duckdb

    folder = Path(folder)
    manifest = read_json(folder / "manifest.json")
    if not isinstance(manifest, dict):
        raise UserError(f"{folder}: no manifest.json: not a toolmint dataset folder (toolmint run writes one)")
    con = duckdb.connect()
    tools = {t["name"]: _empty() for t in manifest.get("tools", [])}
    listed = manifest.get("configs", {})
    configs = [c for c in _configs_with(con, folder, listed, "tool_name") if c in _configs_with(con, folder, listed, "trials")]
    for config in configs:
        files = _list(sorted((folder / config).glob("*.parquet")))
        for name, n in con.execute(f"SELECT tool_name, count(*) FROM read_parquet({files}) GROUP BY 1").fetchall():
            tools.setdefault(name, _empty())["accepted"] += n
        for name, reason, n in con.execute(
                f"SELECT tool_name, t.reason, count(*) FROM (SELECT tool_name, unnest(trials) AS t FROM "
                f"read_parquet({files})) WHERE t.status <> 'ok' GROUP BY 1, 2").fetchall():
            _count(tools.setdefault(name, _empty())["errors"], reason or "failed", n)
    rejected = sorted((folder / "rejected").glob("*.parquet"))
    if rejected and configs:
        kinds = ", ".join(f"'{c}'" for c in configs)
        files = f"(SELECT * FROM read_parquet({_list(rejected)}) WHERE kind IN ({kinds}))"
        for name, n in con.execute(f"SELECT record->>'$.tool_name' AS t, count(*) FROM {files} "
                                   "WHERE t IS NOT NULL GROUP BY 1").fetchall():
            tools.setdefault(name, _empty())["rejected"] += n
        for name, reason, status, n in con.execute(
                f"SELECT tool, c->>'$.reason', c->>'$.status', count(*) FROM (SELECT record->>'$.tool_name' AS tool, "
                f"unnest(CAST(record->'$.trials' AS JSON[])) AS c FROM {files}) "
                "WHERE tool IS NOT NULL AND c->>'$.status' <> 'ok' GROUP BY 1, 2, 3").fetchall():
            _count(tools.setdefault(name, _empty())["errors"], reason or status or "failed", n)
    diversity = (manifest.get("diversity") or {}).get("per_tool", {})
    for name, t in tools.items():
        t["requests"] = t["accepted"] + t["rejected"]
        t["acceptance"] = round(t["accepted"] / t["requests"], 3) if t["requests"] else None
        d = diversity.get(name)
        if d:
            t.update(rows=d["rows"], distinct_calls=d["distinct_calls"], parameters_used=d["parameters_used"],
                     choices_used=d["choices_used"])
    return {"dataset": str(folder), "recipe": manifest.get("recipe"), "tools": tools,
            "rejected_by_reason": manifest.get("rejected_by_reason", {}),
            "judge_calibration": manifest.get("judge_calibration"), "summary": manifest.get("summary", {})}


def _empty() -> dict:
    return {"requests": 0, "accepted": 0, "rejected": 0, "acceptance": None, "rows": 0, "distinct_calls": 0,
            "parameters_used": None, "choices_used": {}, "errors": {}}


def _count(errors: dict, reason: str, n: int) -> None:
    errors[reason] = errors.get(reason, 0) + n


def shares(t: dict) -> tuple[float | None, float | None, float | None]:
    """A tool's acceptance, share of parameters used, and share of enum choices used (None: unknown)."""
    params = t["parameters_used"]
    p = params[0] / params[1] if params and params[1] else None
    chosen = [v for v in t["choices_used"].values()]
    c = sum(u for u, _ in chosen) / sum(n for _, n in chosen) if chosen and sum(n for _, n in chosen) else None
    return t["acceptance"], p, c
