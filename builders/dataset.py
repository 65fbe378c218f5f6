"""The dataset on disk: Parquet shards per config, a manifest and a dataset card.

    output/<name>/
      ste/train-00000-of-00004.parquet       accepted trajectories
      rejected/train-00000-of-00004.parquet  everything else, with reason codes
      manifest.json                           run hash, counts, timings, token totals
      README.md                               card whose YAML lists the configs (Hub viewer, datasets)
      .parts/<run_hash>-p<N>/00000.json      one marker per finished partition (resume)

Every file is written under a temporary name and renamed, so a crash never leaves a half-written
file under its final name.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CONFIGS = ("ste", "rejected")

_MESSAGE = pa.struct([
    ("role", pa.string()), ("content", pa.string()), ("name", pa.string()),
    ("tool_calls", pa.list_(pa.struct([("name", pa.string()), ("arguments", pa.string())]))),
])
_TRIAL = pa.struct([
    ("name", pa.string()), ("arguments", pa.string()), ("status", pa.string()), ("reason", pa.string()),
    ("message", pa.string()), ("observation", pa.string()), ("wall_ms", pa.float64()),
])

TRAJECTORY = pa.schema([
    ("id", pa.string()), ("run_hash", pa.string()), ("recipe", pa.string()), ("model", pa.string()),
    ("model_sha256", pa.string()), ("method", pa.string()), ("switches", pa.string()), ("seed", pa.int64()),
    ("tool_name", pa.string()), ("tool_version", pa.string()), ("episode", pa.int32()), ("query_index", pa.int32()),
    ("query", pa.string()), ("action", pa.string()), ("action_input", pa.string()), ("observation", pa.string()),
    ("final_answer", pa.string()), ("messages", pa.list_(_MESSAGE)), ("tools", pa.string()),
    ("trials", pa.list_(_TRIAL)), ("prompt_tokens", pa.int32()), ("completion_tokens", pa.int32()),
    ("llm_seconds", pa.float64()), ("accepted", pa.bool_()), ("reasons", pa.list_(pa.string())),
    ("detail", pa.string()),
])

SCHEMAS = {"ste": TRAJECTORY, "rejected": TRAJECTORY}


def shard_name(index: int, total: int, split: str = "train") -> str:
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


@contextmanager
def replacing(path: Path):
    """Yield a temporary path beside `path`; on success it is renamed to `path` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def write_shard(out_dir: Path, config: str, index: int, total: int, rows: list[dict]) -> Path:
    """One partition's rows of one config as one Parquet file (possibly empty, with its schema)."""
    schema = SCHEMAS[config]
    table = pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema=schema)
    path = Path(out_dir) / config / shard_name(index, total)
    with replacing(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path


def part_marker(out_dir: Path, run_key: str, index: int) -> Path:
    return Path(out_dir) / ".parts" / run_key / f"{index:05d}.json"


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, value) -> None:
    atomic_write_bytes(Path(path), (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def write_card(out_dir: Path, manifest: dict) -> None:
    """README.md with the YAML header that the Hub viewer and `datasets.load_dataset` read."""
    configs = "".join(
        f"- config_name: {c}\n  data_files:\n  - split: train\n    path: {c}/train-*.parquet\n"
        + ("  default: true\n" if c == "ste" else "")
        for c in CONFIGS
    )
    counts = manifest["counts"]
    reasons = "".join(f"| {r} | {n} |\n" for r, n in sorted(manifest["rejected_by_reason"].items(), key=lambda x: -x[1]))
    text = f"""---
configs:
{configs}tags:
- tool-use
- function-calling
- synthetic
- toolmint
---

# {manifest['recipe']}

Tool-use trajectories built by [toolmint](https://pypi.org/project/toolmint/) with STE
(simulated trial and error): the model `{manifest['model']}` (sha256 `{manifest['model_sha256'][:12]}…`)
imagined user queries, called real tools that ran in a sandbox, and answered from the results.
Only trajectories whose call was schema-valid, ran successfully and was answered from its result
are in `ste`; all others are in `rejected`, each with its reason codes.

| config | rows |
| --- | --- |
| ste | {counts.get('ste', 0)} |
| rejected | {counts.get('rejected', 0)} |

Rejections by reason:

| reason | rows |
| --- | --- |
{reasons}
Run `{manifest['run_hash']}`; tokens generated: {manifest['tokens']['completion']}.

Columns: `messages` (chat form: user → assistant `tool_calls` [{{name, arguments}}] → `tool` → assistant),
`tools` (the function specs offered, a JSON string: `json.loads(row["tools"])`), STE's own fields
(`query`, `action`, `action_input`, `observation`, `final_answer`), every trial with its status
(`trials`), and provenance (`run_hash`, `recipe`, `model`, `model_sha256`, `seed`, `tool_name`,
`tool_version`, `switches`).
"""
    atomic_write_bytes(Path(out_dir) / "README.md", text.encode())
