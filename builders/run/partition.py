"""One partition, on a worker: units → records → judge → shards → marker.

The method runs each unit group in order against a Context made from the process's runtime; every
record is judged; accepted rows go to their kind's config, the others to `rejected` with every
reason; rows derived from the accepted ones (`Method.derive`) are judged and written the same way.
The marker is written last and lists the files, so a partition is done only when all of it is.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import replace

from builders.dataset import shards
from builders.judge import judge
from builders.llm import ChainBroken, Metered, loaded_engines
from builders.methods.base import Context
from builders.record import Rejected, split_of
from builders.run.plan import Settings
from builders.run.runtime import sandboxes_made, worker_sequences, worker_threads


def groups_of(units: list) -> list[list]:
    out: dict[str, list] = {}
    for unit in units:
        out.setdefault(unit.group, []).append(unit)
    return list(out.values())


def run_partition(spec: tuple, settings: Settings) -> dict:
    """Run one partition unless its marker says it is done; returns its summary."""
    index, units = spec
    out_dir = settings.out_dir
    marker = shards.part_marker(out_dir, settings.run_key, index)
    done = shards.read_json(marker)
    if shards.finished(out_dir, done):
        return {**done, "skipped": True}
    start = time.perf_counter()
    runtime = settings.runtime(settings.runtime_spec)
    setup = time.perf_counter() - start  # the model and sandbox: loaded on a process's first partition only
    method = settings.method
    test_fraction = settings.method_settings.get("test_fraction", 0)

    def judged(records):
        return [judge(replace(r, split=split_of(r.group, test_fraction)), method.checks) for r in records]

    restarted = False
    while True:
        engine = Metered(runtime.engine)
        judge_engine = Metered(runtime.judge, usage=engine.usage) if runtime.judge is not None else None
        engines = [e for e in (engine, judge_engine) if e is not None]
        ctx = Context(engine=engine, sandbox=runtime.sandbox, tools={t.name: t for t in settings.tools},
                      settings=settings.method_settings, provenance=settings.provenance, judge=judge_engine)
        # the KV cache starts empty: a partition's rows do not depend on what ran before; the LLM-call
        # cache serves a partition whole or, once restarted, not at all
        for e in engines:
            e.begin_partition(from_cache=not restarted)
        calibration = None
        try:
            # the judge's thresholds (Method.calibrate): stored by the judge's sha256, so the first
            # partition to need them computes them and every other reads them; the first partition's
            # figures go to the manifest
            calibration = method.calibrate(ctx)
            if calibration is not None:
                ctx = replace(ctx, calibration=calibration)
                for e in engines:
                    e.forget_prefix()
            made = method.review(judged(r for group in groups_of(units) for r in method.run(group, ctx)))
            made += judged(method.derive([r for r in made if r.accepted], ctx))
            break
        except ChainBroken:  # partly in the LLM-call cache (an interrupted run): compute it all, cold
            restarted = True
    files = write_rows(out_dir, method, index, settings.total, made)
    rejected = [r for r in made if not r.accepted]
    summary = {
        "index": index, "pid": os.getpid(), "units": len(units),
        "counts": count_rows(made),
        "rejected_by_reason": dict(Counter(reason for r in rejected for reason in r.reasons)),
        "prompt_tokens": engine.usage.prompt_tokens, "completion_tokens": engine.usage.completion_tokens,
        "llm_calls": engine.usage.calls, "llm_cache_restarted": restarted, "llm_seconds": round(engine.usage.seconds, 3),
        "prompt_cached_tokens": engine.usage.cached_tokens, "llm_cache_hits": engine.usage.cache_hits,
        "generation_steps": round(engine.usage.generation_steps, 4), "sequence_steps": engine.usage.sequence_steps,
        "prompt_seconds": round(engine.usage.prompt_seconds, 3),
        "generation_seconds": round(engine.usage.generation_seconds, 3),
        "seconds": round(time.perf_counter() - start, 3), "setup_seconds": round(setup, 3),
        "model_loads_in_process": loaded_engines(), "sandboxes_in_process": sandboxes_made(),
        "llama_threads": worker_threads(settings.runtime_spec.n_threads), "sequences": worker_sequences(settings.runtime_spec.sequences),
        "warnings": [*runtime.warnings, *((calibration or {}).get("warnings", []))],
        "judge_calibration": calibration if index == 0 else None,
        "files": shards.file_sizes(out_dir, files),
    }
    shards.write_json(marker, summary)
    return {**summary, "skipped": False}


def count_rows(records) -> dict:
    counts: dict = {}
    for r in records:
        config = r.config if r.accepted else Rejected.config
        counts.setdefault(config, {}).setdefault(r.split, 0)
        counts[config][r.split] += 1
    return counts


def rows_by_kind(records, kinds=()) -> dict:
    """{(record kind, split): rows}: accepted rows as they are, the others as Rejected; `kinds` get
    an entry for their train split even without rows."""
    by_kind: dict = {(kind, "train"): [] for kind in kinds}
    for r in records:
        row = r if r.accepted else Rejected.of(r)
        by_kind.setdefault((type(row), r.split), []).append(row)
    return by_kind


def write_rows(out_dir, method, index: int, total: int, records) -> list[str]:
    """One shard per config and split that has rows; the train shard of every config always, so each
    config has a table even when it is empty."""
    by_kind = rows_by_kind(records, (*method.records, Rejected))
    return [shards.write_shard(out_dir, kind, split, index, total, rows) for (kind, split), rows in by_kind.items()]
