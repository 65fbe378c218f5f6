"""Running a plan: prepare the output folder, map partitions over an executor, combine, write the
manifest and the card.

    plan = make_plan(load_recipe("recipes/quickstart.yaml"))
    manifest = run(plan)                         # the real model, a Dask LocalCluster
    manifest = run(plan, runtime=my_factory)     # tests: a scripted engine through the same seam
"""

from __future__ import annotations

import inspect
import logging
import re
import shutil
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq

from builders import __version__
from builders.dataset import shards
from builders.dataset.card import write_card
from builders.dataset.coverage import PLOT, coverage
from builders.dataset.plot import draw
from builders.errors import UserError
from builders.judge import judge
from builders.record import Rejected, decode_row
from builders.run.dedup import dedup
from builders.run.executors import DaskCluster, InProcess
from builders.run.partition import count_rows, rows_by_kind, run_partition
from builders.run.plan import Plan, make_plan
from builders.run.runtime import process_sandbox
from builders.tools.services import probe as probe_services

log = logging.getLogger("toolmint.run")

__all__ = ["run", "make_plan", "Plan", "executor_for"]


def configs_of(plan: Plan) -> tuple[str, ...]:
    return (*plan.method.configs, Rejected.config)


SHARD = re.compile(r"^[\w.]+-(\d{5}-of-\d{5}|combined|dedup)\.parquet$")  # shards.shard_name, combine()'s, dedup's


def toolmint_wrote(path: Path) -> bool:
    """Whether a top-level entry of an output folder is one toolmint writes: the markers, a config
    folder of shards, the manifest, the dataset card, a temporary file of an interrupted write."""
    name = path.name
    if name.startswith(".write-test-") or (name.startswith(".") and name.endswith(".tmp")):
        return True
    if path.is_dir():
        return name == ".parts" or all(SHARD.match(p.name) or p.name.endswith(".tmp") for p in path.iterdir())
    if name == PLOT:  # the coverage plot (builders/dataset/plot.py)
        return path.is_file()
    if name == "manifest.json":
        old = shards.read_json(path)
        return isinstance(old, dict) and bool(old.get("run_key") or old.get("run_hash"))
    if name == "README.md":  # the card (builders/dataset/card.py), not a README of the user's
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:4000]
        except OSError:
            return False
        return head.startswith("---\nconfigs:") and "\n- toolmint\n" in head
    return False


def foreign_files(out: Path) -> list[str]:
    """What in `out` toolmint did not write (folders end with /)."""
    if not out.is_dir():
        return []
    return [p.name + ("/" if p.is_dir() else "") for p in sorted(out.iterdir()) if not toolmint_wrote(p)]


def replaced_by_run(foreign: list[str], configs) -> list[str]:
    """Which of those a run writes over: the card and the manifest, and the Parquet files of a folder
    named after one of its configs (swept at the end)."""
    return [f for f in foreign if f in ("README.md", "manifest.json", PLOT) or f.rstrip("/") in configs]


def named(items: list[str], most: int = 5) -> str:
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")


def prepare_output(plan: Plan, overwrite: bool) -> list[str]:
    """Refuse to mix two runs in one folder, or to write into a folder holding files toolmint did not
    write, unless told to (--overwrite); returns what the user should be told before the run starts."""
    out = plan.out_dir
    notes = []
    try:
        old = shards.read_json(out / "manifest.json")
        parts = out / ".parts"
        others = sorted(p.name for p in parts.iterdir() if p.name != plan.run_key) if parts.is_dir() else []
        if isinstance(old, dict) and old.get("run_key") != plan.run_key and (old.get("run_key") or old.get("run_hash")):
            others.append(old.get("run_key") or old.get("run_hash", "?"))
        if others and not overwrite:
            raise UserError(f"{out}: holds another run ({', '.join(sorted(set(others)))}); this recipe is run "
                            f"{plan.run_key}. Use --overwrite to replace it, or --output to write elsewhere.")
        foreign = foreign_files(out)
        replaced = replaced_by_run(foreign, configs_of(plan))
        if foreign and not overwrite:
            raise UserError(f"{out}: holds files toolmint did not write ({named(foreign)}); it writes a dataset only "
                            "into a new or empty folder or one holding its own run. Use --output to write elsewhere, "
                            "or --overwrite to write here anyway"
                            + (f" (it would replace {named(replaced)})" if replaced else "") + ".")
        if foreign:
            kept = [f for f in foreign if f not in replaced]
            notes.append(f"{out}: --overwrite: " + (f"replacing {named(replaced)} (not written by toolmint)" if replaced
                                                    else "writing beside files toolmint did not write")
                         + (f"; leaving {named(kept)} untouched" if kept else ""))
        if others:
            for child in out.iterdir():
                if child.is_dir() and toolmint_wrote(child):  # markers and shard folders, never a folder of the user's
                    shutil.rmtree(child)
            for name in ("manifest.json", "README.md", PLOT):
                (out / name).unlink(missing_ok=True)
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{plan.run_key}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{out}: cannot write the output folder here: {exc.strerror or exc}") from None
    return notes


def executor_for(plan: Plan):
    scheduler = plan.recipe.dask["scheduler"]
    if scheduler == "sync":
        return InProcess()
    return DaskCluster(None if scheduler == "local" else scheduler, plan.workers, source=plan.recipe.path,
                       threads=plan.sequences)


def run(plan: Plan, overwrite: bool = False, progress=None, runtime=None, executor=None) -> dict:
    """Run every partition not yet done, then combine and describe the dataset."""
    services = probe_services(plan.recipe, plan.tools)  # before the folder is touched: a dead one refuses the run
    for note in prepare_output(plan, overwrite) + services:
        tell(progress, note)
    settings = plan.settings(runtime)
    start = time.perf_counter()
    summaries, failures = [], []
    specs = list(enumerate(plan.partitions))
    with executor or executor_for(plan) as ex:
        if progress is not None and hasattr(progress, "start"):
            progress.start(plan, ex)
        layout = getattr(ex, "layout", None)
        execution = {"executor": getattr(ex, "describe", lambda: ex.name)(), "dashboard": ex.dashboard,
                     "workers": len(layout) if layout else plan.workers,
                     "llama_threads": sorted({t for t, _ in layout.values()}) if layout else [plan.threads],
                     "sequences": plan.sequences}
        for (index, _), summary, error in ex.map(partial(run_partition, settings=settings), specs):
            if error:
                failures.append(f"partition {index + 1} of {len(specs)} failed: {error}")
                continue
            summaries.append(summary)
            if progress:
                progress(summary, len(specs))
    wall = time.perf_counter() - start
    if plan.remote:  # each worker's own threads decided them
        execution["sequences"] = sorted({s["sequences"] for s in summaries if "sequences" in s})
    if failures:
        raise UserError(*[f"{plan.out_dir}: {f}" for f in failures],
                        f"{plan.out_dir}: {len(summaries)} of {len(specs)} partitions are written; "
                        "run the same command again to finish the others")
    removed = dedup(plan.out_dir, plan.method.records, summaries, plan.recipe.data["dedup"], plan.run_key)
    written = {rel for s in summaries for rel in s["files"]}
    combined, combined_files = combine(plan, settings)
    shards.sweep(plan.out_dir, configs_of(plan), written | set(combined_files) | set(removed["files"]))
    for config, splits in removed["counts"].items():
        for split, n in splits.items():
            combined.setdefault(config, {}).setdefault(split, 0)
            combined[config][split] += n
    manifest = build_manifest(plan, summaries, combined, wall)
    manifest["rejected_by_reason"] = dict((Counter(manifest["rejected_by_reason"])
                                           + Counter(removed["rejected_by_reason"])).most_common())
    manifest["dedup"] = {**plan.recipe.data["dedup"], "removed": sum(removed["counts"].get(Rejected.config, {}).values())}
    manifest["execution"] = execution
    manifest.update(plan.method.describe(reader(plan), plan.tools))
    shards.write_json(plan.out_dir / "manifest.json", manifest)
    report = coverage(plan.out_dir)  # reads the shards and the manifest just written
    manifest["coverage"] = {n: t for n, t in report["tools"].items() if t["requests"]}
    if draw(report, plan.out_dir):
        manifest["coverage_plot"] = PLOT
    else:
        (plan.out_dir / PLOT).unlink(missing_ok=True)
    shards.write_json(plan.out_dir / "manifest.json", manifest)
    write_card(plan.out_dir, manifest)
    return manifest


def tell(progress, line: str) -> None:
    """A warning the user should see before the partitions start (the CLI's Progress prints it)."""
    if progress is not None and hasattr(progress, "note"):
        progress.note(line)
    else:
        log.warning("%s", line)


def prompt_cache(summaries: list[dict]) -> dict:
    """Prompt tokens the model did not evaluate again: the KV cache of the call before held them."""
    prompt = sum(s["prompt_tokens"] for s in summaries)
    cached = sum(s.get("prompt_cached_tokens", 0) for s in summaries)
    return {"prompt_tokens": prompt, "cached_tokens": cached, "share": round(cached / prompt, 4) if prompt else None}


def batching(plan: Plan, ran: list[dict]) -> dict:
    """How full the batch was: the sequences decoded together in a generation step, on average over
    the steps of the partitions this run computed, beside the sequences a worker holds. A mean well
    below them says the work did not fill the batch (too few partitions at once, or sequences
    waiting while prompts are read); None when no step was metered (every call from the cache)."""
    steps = sum(s.get("generation_steps", 0) for s in ran)
    decoded = sum(s.get("sequence_steps", 0) for s in ran)
    return {"sequences": sorted({s["sequences"] for s in ran if "sequences" in s}) if plan.remote else plan.sequences,
            "mean_width": round(decoded / steps, 2) if steps else None,
            "generation_steps": round(steps), "sequence_steps": decoded}


def model_time(plan: Plan, ran: list[dict], wall: float) -> dict | None:
    """Where the model's time went, as llama.cpp spent it: evaluating prompts (compute-bound on a
    CPU, whatever the batch) and generation steps (one token of every generating sequence each).
    `busy` is their sum over the workers' wall time: near 1, the run goes as fast as its model work
    allows, and only less of it — fewer prompt tokens evaluated, fewer, wider steps — makes it
    faster. None when no call reached the model."""
    reading = sum(s.get("prompt_seconds", 0) for s in ran)
    generating = sum(s.get("generation_seconds", 0) for s in ran)
    if not reading + generating:
        return None
    cache = prompt_cache(ran)
    evaluated = cache["prompt_tokens"] - cache["cached_tokens"]
    generated = sum(s["completion_tokens"] for s in ran)
    return {"prompt_seconds": round(reading, 1), "prompt_tokens_evaluated": evaluated,
            "prompt_tokens_per_s": round(evaluated / reading, 1) if reading else None,
            "generation_seconds": round(generating, 1),
            "generated_tokens_per_s": round(generated / generating, 1) if generating else None,
            "busy": round((reading + generating) / (wall * plan.workers), 3) if wall and not plan.remote else None}


def outside_llm_share(ran: list[dict]) -> float | None:
    """The share of the workers' partition time not spent inside llama.cpp calls."""
    busy = sum(s["seconds"] for s in ran)
    return round(1 - sum(s["llm_seconds"] for s in ran) / busy, 4) if busy else None


def reader(plan: Plan):
    """`read(config)`: the rows the run wrote to a config (a method's or `rejected`), decoded."""
    def read(config: str):
        kind = Rejected if config == Rejected.config else next(k for k in plan.method.records if k.config == config)
        for path in sorted((plan.out_dir / config).glob("*.parquet")):
            for row in pq.read_table(path).to_pylist():
                yield decode_row(kind, row)
    return read


def combine(plan: Plan, settings) -> tuple[dict, list[str]]:
    """Records a method makes once from the whole dataset (e.g. a deduplicated tool library)."""
    read = reader(plan)
    extra = {}
    if "sandbox" in inspect.signature(plan.method.combine).parameters:  # a method that runs code there
        extra["sandbox"] = lambda: process_sandbox(settings.runtime_spec.sandbox)
    made = [judge(r, plan.method.checks) for r in plan.method.combine(read, settings.provenance, **extra)]
    if not made:
        return {}, []
    # named apart from the partitions' shards, which a one-partition run also numbers 00000-of-00001
    files = [shards.write_shard(plan.out_dir, kind, split, 0, 1, rows, name=f"{split}-combined.parquet")
             for (kind, split), rows in rows_by_kind(made).items()]
    return count_rows(made), files


def build_manifest(plan: Plan, summaries: list[dict], combined: dict, wall: float) -> dict:
    ran = [s for s in summaries if not s.get("skipped")]
    configs = {c: {} for c in configs_of(plan)}
    for counts in [s["counts"] for s in summaries] + [combined]:
        for config, splits in counts.items():
            for split, n in splits.items():
                configs.setdefault(config, {}).setdefault(split, 0)
                configs[config][split] += n
    reasons = Counter()
    for s in summaries:
        reasons.update(s["rejected_by_reason"])
    return {
        "run_hash": plan.run_hash, "run_key": plan.run_key, "recipe": plan.recipe.name,
        "recipe_file": plan.recipe.path, "model": plan.model.name, "model_sha256": plan.model.sha256,
        "model_source": plan.model.source,
        "judge_model": {"name": plan.judge.name, "sha256": plan.judge.sha256} if plan.judge else None,
        "toolmint": __version__, "seed": plan.recipe.seed,
        "method": {"name": plan.method.name, "settings": plan.recipe.method, "about": plan.method.about},
        "tools": [{"name": t.name, "version": t.version} for t in plan.tools],
        "partitions": len(plan.partitions), "workers": plan.workers, "llama_threads_per_worker": plan.threads,
        "sequences_per_worker": None if plan.remote else plan.sequences,  # a cluster's: each worker's threads
        "configs": configs, "default_config": plan.method.configs[0],
        "rejected_by_reason": dict(reasons.most_common()),
        "tokens": {"prompt": sum(s["prompt_tokens"] for s in summaries),
                   "completion": sum(s["completion_tokens"] for s in summaries)},
        "prompt_cache": prompt_cache(summaries),
        "batch": batching(plan, ran),
        "model_time": model_time(plan, ran, wall),
        "llm_cache": {"enabled": plan.llm_cache is not None, "hits": sum(s.get("llm_cache_hits", 0) for s in ran),
                      "calls": sum(s.get("llm_calls", 0) for s in ran)},
        "timings": {
            "wall_seconds": round(wall, 3),
            "partitions_run": len(ran), "partitions_resumed": len(summaries) - len(ran),
            "llm_seconds": round(sum(s["llm_seconds"] for s in summaries), 3),
            "generated_tokens_per_s": round(sum(s["completion_tokens"] for s in ran) / wall, 2) if ran and wall else None,
            "prompt_tokens_per_s": round(sum(s["prompt_tokens"] for s in ran) / wall, 2) if ran and wall else None,
            "outside_llm_share": outside_llm_share(ran),
        },
        "summary": {"units": sum(s["units"] for s in summaries),
                    "accepted": sum(n for c, splits in configs.items() if c != Rejected.config for n in splits.values()),
                    "rejected": sum(configs.get(Rejected.config, {}).values())},
        "judge_calibration": next((s["judge_calibration"] for s in summaries if s.get("judge_calibration")), None),
        "warnings": sorted({w for s in summaries for w in s.get("warnings", [])}),
        "files": sorted({rel for s in summaries for rel in s["files"]}),
    }
