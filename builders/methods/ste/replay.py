"""Continual learning: examples of an earlier dataset replayed beside the new tools' examples
(STE's rehearsal, 10 % by default), so a model fine-tuned on both does not forget the earlier tools.
The earlier folder's ste_sft shards are read with pyarrow; a row is chosen by a hash of its id, so
the same rows are replayed on every run. Replayed rows keep their group (their seed query), so a
seed stays on its side of the split, keep the provenance of the run that made them, and are
judged again like new rows."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path

import pyarrow.parquet as pq

from builders.errors import UserError
from builders.methods.ste.records import Example
from builders.record import Call, decode_row


def replay_folder(recipe, value: str) -> str:
    """The earlier dataset's ste_sft folder, resolved against the recipe; a clear error if it has none."""
    folder = Path(value).expanduser()
    if not folder.is_absolute():
        folder = Path(recipe.base_dir or ".") / folder
    if not sorted((folder / "ste_sft").glob("*.parquet")):
        raise UserError(f"{recipe.path}: method.replay_from: {value}: no ste_sft/*.parquet there "
                        "(name an earlier toolmint dataset folder)")
    return str(folder.resolve())


def chosen(row_id: str, fraction: float) -> bool:
    return int.from_bytes(hashlib.sha256(row_id.encode()).digest()[:4], "little") / 2**32 < fraction


def replayed(folder: str, fraction: float) -> list[Example]:
    """The chosen earlier rows as Example records: their own provenance (the run that made them),
    a new id, `replayed_from` set."""
    names = {f.name for f in fields(Example) if f.init}
    rows = []
    for path in sorted((Path(folder) / "ste_sft").glob("*.parquet")):
        for raw in pq.read_table(path).to_pylist():
            row = decode_row(Example, raw)
            if not row.get("accepted") or not chosen(row["id"], fraction):
                continue
            data = {k: v for k, v in row.items() if k in names and v is not None}  # older rows: defaults
            for key in ("trials", "prior_calls"):
                data[key] = [Call(**c) for c in data.get(key) or []]
            data.update({"id": f"replay-{row['id']}", "replayed_from": folder, "accepted": False, "reasons": [],
                         "detail": ""})
            rows.append(Example(**data))
    return rows
