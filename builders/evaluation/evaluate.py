"""The evaluation loop: each gold item asked of the student (with its demonstrations in ICL mode),
scored, and the verdicts written beside their figures (a Parquet file with every item's verdict, a
JSON summary)."""

from __future__ import annotations

import json
from pathlib import Path

from builders.evaluation.gold import GoldItem
from builders.evaluation.scoring import Verdict, figures, score
from builders.evaluation.student import demonstrations, with_demonstrations


def evaluate(items: list[GoldItem], student, *, bank: list[dict] | None = None, k: int = 4, execute=None,
             progress=None) -> list[Verdict]:
    """`student.answer(messages, tools) -> Reply`, asked from `student.sequences` threads at once (a
    batching engine decodes their replies together); `bank`: ste_icl rows for k-shot ICL (None:
    zero-shot); `progress()` is called after each item. Verdicts come back in the items' order."""
    from concurrent.futures import ThreadPoolExecutor

    def one(item: GoldItem) -> Verdict:
        messages, tools, shown = item.messages, item.tools, []
        if bank:
            shown = demonstrations(bank, item.request, k)
            messages, tools = with_demonstrations(messages, tools, shown)
        reply = student.answer(messages, tools)
        v = score(item, reply.text, execute)
        v.demonstrations = [d["id"] for d in shown]
        v.prompt_tokens, v.completion_tokens, v.seconds = reply.prompt_tokens, reply.completion_tokens, round(reply.seconds, 3)
        if reply.error:
            v.error, v.failure, v.well_formed = reply.error, "prompt_too_long", False
        if progress:
            progress()
        return v

    with ThreadPoolExecutor(max_workers=max(1, getattr(student, "sequences", 1))) as pool:
        return list(pool.map(one, items))


def write_results(out: Path, verdicts: list[Verdict], settings: dict) -> dict:
    """`verdicts.parquet` (one row per item) and `summary.json` (settings and figures) under `out`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from builders.dataset.shards import atomic_write_bytes

    out.mkdir(parents=True, exist_ok=True)
    summary = {**settings, "figures": figures(verdicts)}
    table = pa.Table.from_pylist([v.row() for v in verdicts]) if verdicts else pa.table({})
    pq.write_table(table, out / "verdicts.parquet")
    atomic_write_bytes(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False).encode())
    return summary
