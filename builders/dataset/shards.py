"""Parquet shards, partition markers and small JSON files, each written atomically.

    <config>/<split>-NNNNN-of-MMMMM.parquet   one partition's rows of one config and split
    .parts/<run key>/NNNNN.json               marker of a finished partition: its summary and files

A file is written under a temporary name and renamed, so a crash never leaves a half-written file
under its final name. A partition counts as done only when its marker is there and every file it
lists is there with the size it had.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq

from builders.record import to_table

ROW_GROUP_ROWS = 2000  # rows are a few KB: groups stay far below the Hub viewer's 300 MB limit


def shard_name(split: str, index: int, total: int) -> str:
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


def write_shard(out_dir: Path, kind, split: str, index: int, total: int, records: list, name: str = "") -> str:
    """Rows of one record kind as one Parquet file (named after its partition unless `name` is given);
    returns its path relative to `out_dir`."""
    rel = f"{kind.config}/{name or shard_name(split, index, total)}"
    write_table(out_dir, rel, to_table(kind, records))
    return rel


def write_table(out_dir: Path, rel: str, table) -> None:
    """A table as the Parquet file `rel` under `out_dir`, atomically (write_shard's, and the dedup
    stage's rewrite of a shard without its duplicates)."""
    with replacing(Path(out_dir) / rel) as tmp:
        options = dict(compression="zstd", write_page_index=True, **_cdc())
        if table.num_rows:
            pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS, **options)
        else:  # no row group at all: readers that size batches by the first row group (datasets) fail on 0
            pq.ParquetWriter(tmp, table.schema, **options).close()


def _cdc() -> dict:
    """Content-defined chunking, where the installed pyarrow has it: re-publishing a grown dataset
    then uploads only the pages that changed."""
    try:
        import inspect

        if "use_content_defined_chunking" in inspect.signature(pq.ParquetWriter.__init__).parameters:
            return {"use_content_defined_chunking": True}
    except (TypeError, ValueError):
        pass
    return {}


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, value) -> None:
    atomic_write_bytes(Path(path), (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def part_marker(out_dir: Path, run_key: str, index: int) -> Path:
    return Path(out_dir) / ".parts" / run_key / f"{index:05d}.json"


def finished(out_dir: Path, marker: dict | None) -> bool:
    """A marker counts only while every shard it lists is there with its size."""
    if not marker or "files" not in marker:
        return False
    for rel, size in marker["files"].items():
        try:
            if os.path.getsize(Path(out_dir) / rel) != size:
                return False
        except OSError:
            return False
    return True


def file_sizes(out_dir: Path, rels: list[str]) -> dict[str, int]:
    return {rel: os.path.getsize(Path(out_dir) / rel) for rel in rels}


def sweep(out_dir: Path, configs: tuple[str, ...], keep: set[str]) -> list[str]:
    """Remove Parquet files in the configs' folders that this run did not write (a shard left by an
    earlier, interrupted run cut into other partitions would otherwise join the `*.parquet` glob)."""
    removed = []
    for config in configs:
        folder = Path(out_dir) / config
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            rel = f"{config}/{path.name}"
            if rel not in keep and (path.suffix == ".parquet" or path.name.endswith(".tmp")):
                path.unlink()
                removed.append(rel)
    return removed
