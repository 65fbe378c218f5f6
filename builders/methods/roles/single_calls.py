"""Role rows from the single-call examples of an earlier dataset.

α-UMi trains its roles on every trajectory it has, one-call ones included. A toolmint dataset whose
rows carry a single call and its answer (the fields below; STE's fine-tuning config has them) can be
named in a roles recipe (`single_calls_from: FOLDER`): each accepted example becomes one unit, sliced
by `rows.from_single_call` into backbone / planner / caller / summarizer rows that are judged like
the rows of the run's own trajectories. They keep their example's group (its seed query), so an
example and its paraphrases stay on one side of the split, and the provenance of the run that made it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from builders.errors import UserError
from builders.record import plain_rows

FIELDS = ("id", "group", "query", "action", "action_input", "observation", "final_answer", "tools", "accepted")


def source_files(recipe, value: str) -> list[str]:
    """The folder's Parquet shards whose rows are single-call examples; a clear error if none are."""
    folder = Path(value).expanduser()
    if not folder.is_absolute():
        folder = Path(recipe.base_dir or ".") / folder
    files = [str(p.resolve()) for p in sorted(folder.glob("*/*.parquet"))
             if set(FIELDS) <= set(pq.read_schema(p).names)]
    if not files:
        raise UserError(f"{recipe.path}: method.single_calls_from: {value}: no config there has single-call "
                        f"examples (Parquet shards with the columns {', '.join(FIELDS)})")
    return files


def examples(files: list[str]) -> list[dict]:
    """The accepted examples, JSON columns parsed, in file and row order."""
    return [row for path in files for row in plain_rows(pq.read_table(path)) if row.get("accepted")]
