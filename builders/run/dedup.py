"""Dedup across the whole run: a request that says what an earlier one of the run already said is
rejected (`duplicate_request`), whichever partition made either. Partitions run apart, so this is a
stage after them, on the client: it reads every accepted request (the configs whose record kind
names a `request` field: STE's `ste_sft` query, α-UMi's trajectory query), finds exact and near duplicates, and moves them to
`rejected/<split>-dedup.parquet`, rewriting the shards they were in and their partitions' markers
(so a re-run still finds those partitions done, and finds nothing more to remove).

Near: the Jaccard similarity of two requests' word n-grams (lower-cased words; `dedup.ngram`) is at
least `dedup.threshold`, and they state the same numbers ('12 times 5' and '12 times 6' are two
requests). Candidates come from MinHash signatures with LSH banding, each then checked exactly. Rows
of one group (a seed and its paraphrases) are never duplicates of each other; rows made from a
removed one (its paraphrases, its `ste_icl` demonstration: `paraphrase_of`, `source_id`) go with it.
The first row in the run's order (partition, then row) is kept."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from builders.dataset import shards
from builders.methods.grounding import stated_numbers
from builders.record import Rejected, decode_row, to_table

REASON = "duplicate_request"
PERMUTATIONS, BANDS = 64, 16
PRIME = (1 << 61) - 1
FILE = "{split}-dedup.parquet"
LINKS = ("paraphrase_of", "source_id", "trajectory")  # a row made from another one names it here (α-UMi's role rows: `trajectory`)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def shingles(text: str, n: int) -> set[str]:
    w = words(text)
    return {" ".join(w[i:i + n]) for i in range(max(1, len(w) - n + 1))} if w else {""}


def _coefficients() -> list[tuple[int, int]]:
    digest = hashlib.sha256(b"toolmint dedup").digest()
    out, state = [], digest
    for _ in range(PERMUTATIONS):
        state = hashlib.sha256(state).digest()
        out.append((int.from_bytes(state[:8], "little") % (PRIME - 1) + 1, int.from_bytes(state[8:16], "little") % PRIME))
    return out


COEFFICIENTS = _coefficients()


def signature(grams: set[str]) -> tuple[int, ...]:
    """MinHash: per permutation, the least hash of the request's n-grams."""
    hashes = [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") for g in grams]
    return tuple(min((a * h + b) % PRIME for h in hashes) for a, b in COEFFICIENTS)


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def duplicates(rows: list[tuple[str, str, str]], threshold: float, n: int) -> dict[str, str]:
    """{id: id of the earlier row it repeats} over (id, group, request) in the run's order."""
    per = PERMUTATIONS // BANDS
    buckets: dict[tuple, list[int]] = {}
    kept: list[tuple[str, str, set, tuple]] = []
    found = {}
    for row_id, group, text in rows:
        grams, numbers = shingles(text, n), tuple(sorted(map(str, stated_numbers(text))))
        sig = signature(grams)
        keys = [(b, sig[b * per:(b + 1) * per]) for b in range(BANDS)]
        candidates = sorted({i for k in keys for i in buckets.get(k, [])})
        match = next((kept[i][0] for i in candidates if kept[i][1] != group and kept[i][3] == numbers
                      and jaccard(grams, kept[i][2]) >= threshold), None)
        if match:
            found[row_id] = match
            continue
        for k in keys:
            buckets.setdefault(k, []).append(len(kept))
        kept.append((row_id, group, grams, numbers))
    return found


def _read(out_dir: Path, rel: str, kind) -> list[dict]:
    return [decode_row(kind, r) for r in pq.read_table(Path(out_dir) / rel).to_pylist()]


def dedup(out_dir: Path, kinds, summaries: list[dict], section: dict, run_key: str) -> dict:
    """Remove the run's duplicate requests (see the module); update `summaries` and their markers.
    Returns the counts and reasons of every row in the dedup files, for the manifest."""
    out_dir = Path(out_dir)
    by_config = {k.config: k for k in kinds}
    requests = [k for k in kinds if getattr(k, "request", None)]
    if section.get("enabled", True) and requests:
        order = sorted(summaries, key=lambda s: s["index"])
        rows = []
        for s in order:
            for rel in sorted(s["files"]):
                kind = by_config.get(rel.split("/")[0])
                if kind in requests:
                    rows += [(r["id"], r["group"], r[kind.request], r) for r in _read(out_dir, rel, kind)]
        dropped = duplicates([(i, g, t) for i, g, t, _ in rows], section["threshold"], section["ngram"])
        rows_by_id = {i: r for i, _, _, r in rows}
        for i, _, _, r in rows:  # what was made from a removed row goes with it
            link = next((r.get(f) for f in LINKS if r.get(f) in dropped), None)
            if link and i not in dropped:
                dropped[i] = dropped[link]
        if dropped:
            _remove(out_dir, by_config, order, dropped, rows_by_id, run_key)
    return _tally(out_dir)


def _remove(out_dir: Path, by_config: dict, summaries: list[dict], dropped: dict, rows_by_id: dict,
            run_key: str) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    moved: dict[str, list] = {}
    for s in summaries:
        changed = False
        for rel in sorted(s["files"]):
            kind = by_config.get(rel.split("/")[0])
            if kind is None:
                continue
            table = pq.read_table(out_dir / rel)
            links = [c for c in ("id", *LINKS) if c in table.column_names]
            gone = None
            for column in links:
                hit = pc.is_in(table[column], value_set=pa.array(sorted(dropped)))
                gone = hit if gone is None else pc.or_(gone, hit)
            if gone is None or not pc.any(gone).as_py():
                continue
            split = Path(rel).name.split("-")[0]
            for r in table.filter(gone).to_pylist():
                if r["id"] in rows_by_id:  # a request: rejected with its reason; a derived row just goes
                    moved.setdefault(split, []).append(_rejected(kind, decode_row(kind, r), dropped[r["id"]]))
            shards.write_table(out_dir, rel, table.filter(pc.invert(gone)))
            s["counts"][kind.config][split] -= int(pc.sum(gone.cast("int64")).as_py())
            changed = True
        if changed:
            s["files"] = shards.file_sizes(out_dir, list(s["files"]))
            s["rejected_by_reason"] = dict(s.get("rejected_by_reason") or {})
            shards.write_json(shards.part_marker(out_dir, run_key, s["index"]),
                              {k: v for k, v in s.items() if k != "skipped"})
    for split, rows in moved.items():
        rel = f"{Rejected.config}/{FILE.format(split=split)}"
        table = to_table(Rejected, rows)
        if (out_dir / rel).is_file():  # an earlier dedup of this run: keep its rows, each id once
            earlier = pq.read_table(out_dir / rel)
            fresh = pc.invert(pc.is_in(earlier["id"], value_set=pa.array(sorted(r.id for r in rows))))
            table = pa.concat_tables([earlier.filter(fresh), table])
        shards.write_table(out_dir, rel, table)


def _rejected(kind, row: dict, kept: str) -> Rejected:
    from builders.record import Record
    from dataclasses import fields

    base = {f.name: row[f.name] for f in fields(Record) if row.get(f.name) is not None}
    reasons = [*(row.get("reasons") or []), REASON]
    base.update(accepted=False, reasons=reasons,
                detail=(f"{row.get('detail')}; " if row.get("detail") else "") + f"repeats the request of row {kept}")
    record = {**row, "accepted": False, "reasons": reasons}
    return Rejected(**base, kind=kind.config, record=record)


def _tally(out_dir: Path) -> dict:
    """Rows and reasons of the dedup files (the manifest counts them beside the partitions')."""
    counts: dict = {}
    reasons: Counter = Counter()
    for path in sorted((out_dir / Rejected.config).glob(FILE.format(split="*"))):
        rows = _read(out_dir, f"{Rejected.config}/{path.name}", Rejected)
        split = path.name.split("-")[0]
        counts.setdefault(Rejected.config, {})[split] = len(rows)
        reasons.update(reason for r in rows for reason in r["reasons"])
    files = [f"{Rejected.config}/{p.name}" for p in sorted((out_dir / Rejected.config).glob(FILE.format(split="*")))]
    return {"counts": counts, "rejected_by_reason": dict(reasons), "files": files}
