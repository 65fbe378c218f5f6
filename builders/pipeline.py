"""Recipe → work units → a dask.bag of partitions → Parquet shards → manifest.

Each partition is one shard per config. Each Dask worker process loads the model once (the
per-process cache in llm.py) and keeps one sandbox, made on its first partition. A partition
that already has its marker for this run hash is not run again, so an interrupted run resumes.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from builders import __version__
from builders import dataset, ste
from builders.errors import UserError
from builders.judge import judge
from builders.llm import cores, get_engine, loaded_engines, threads_per_process
from builders.model_file import ModelFile, resolve_model
from builders.recipe import Recipe, run_hash
from builders.tools import Tool, resolve_tools


@dataclass(frozen=True)
class Settings:
    """What a worker needs to run a partition: plain, picklable, the same for every partition."""
    out_dir: str
    run_hash: str
    total: int
    model_path: str
    n_ctx: int
    n_threads: int
    chat_format: str | None
    tools: tuple[Tool, ...]
    method: dict
    sandbox: dict
    provenance: dict = field(default_factory=dict)


@dataclass
class Plan:
    recipe: Recipe
    model: ModelFile
    tools: list[Tool]
    run_hash: str
    out_dir: Path
    workers: int
    partitions: list[list[ste.Episode]]

    def settings(self) -> Settings:
        model = self.recipe.model if isinstance(self.recipe.model, dict) else {}
        return Settings(
            out_dir=str(self.out_dir), run_hash=self.run_hash, total=len(self.partitions),
            model_path=self.model.path, n_ctx=model.get("n_ctx", 2048),
            n_threads=threads_per_process(self.workers), chat_format=model.get("chat_format"),
            tools=tuple(self.tools), method=dict(self.recipe.method), sandbox=dict(self.recipe.sandbox),
            provenance={"run_hash": self.run_hash, "recipe": self.recipe.name, "model": self.model.name,
                        "model_sha256": self.model.sha256},
        )


def make_plan(recipe: Recipe, output: str | None = None) -> Plan:
    model = resolve_model(recipe.model, source=recipe.path, base_dir=recipe.base_dir)
    tools = resolve_tools(recipe.tools, source=recipe.path, base_dir=recipe.base_dir, on_error=recipe.on_tool_error)
    digest = run_hash(recipe, model.sha256, tools, __version__)
    # Episodes ordered by tool, so a partition's prompts share the tool's description (KV cache reuse).
    units = [ste.Episode(t.name, i, ste.episode_seed(recipe.seed, t.name, i))
             for t in tools for i in range(recipe.method["episodes"])]
    workers = recipe.dask["workers"]
    workers = cores() if workers == "auto" else workers
    if recipe.dask["scheduler"] == "sync":
        workers = 1
    count = recipe.dask["partitions"]
    if count == "auto":
        count = max(workers * 2, math.ceil(len(units) / 64))
    count = max(1, min(count, len(units)))
    size = math.ceil(len(units) / count)
    partitions = [units[i:i + size] for i in range(0, len(units), size)]
    return Plan(recipe, model, tools, digest, Path(output or recipe.output), workers, partitions)


# --- on the worker -----------------------------------------------------------------------------

_SANDBOXES: dict = {}


def _sandbox(section: dict):
    """One sandbox per worker process (it closes itself at exit). A Dask worker makes one
    call at a time, so `workers: auto` means one sandbox worker per Dask worker here."""
    from sandbox import Sandbox
    from sandbox.limits import from_recipe

    key = tuple(sorted(section.items()))
    if key not in _SANDBOXES:
        limits, _, accept_weaker = from_recipe(section)
        workers = 1 if section.get("workers", "auto") == "auto" else section["workers"]
        _SANDBOXES[key] = Sandbox(limits, workers=workers, accept_weaker=accept_weaker)
    return _SANDBOXES[key]


def worker_context(settings: Settings) -> ste.Context:
    engine = get_engine(settings.model_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                        chat_format=settings.chat_format)
    return ste.Context(engine=engine, sandbox=_sandbox(settings.sandbox),
                       tools={t.name: t for t in settings.tools}, settings=settings.method,
                       provenance=settings.provenance)


def run_partition(spec: tuple[int, list[ste.Episode]], settings: Settings, context=None) -> dict:
    """Run one partition's episodes, judge them, write its shards, then its marker."""
    index, episodes = spec
    out_dir = Path(settings.out_dir)
    marker = dataset.part_marker(out_dir, run_key(settings.run_hash, settings.total), index)
    done = dataset.read_json(marker)
    if done is not None:
        return {**done, "skipped": True}
    start = time.perf_counter()
    ctx = context or worker_context(settings)
    trajectories = [judge(t) for episode in episodes for t in ste.run_episode(ctx, episode)]
    accepted = [t for t in trajectories if t["accepted"]]
    rejected = [t for t in trajectories if not t["accepted"]]
    for config, rows in (("ste", accepted), ("rejected", rejected)):
        dataset.write_shard(out_dir, config, index, settings.total, rows)
    summary = {
        "index": index, "pid": os.getpid(), "episodes": len(episodes),
        "counts": {"ste": len(accepted), "rejected": len(rejected)},
        "rejected_by_reason": dict(Counter(r for t in rejected for r in t["reasons"])),
        "prompt_tokens": sum(t["prompt_tokens"] for t in trajectories),
        "completion_tokens": sum(t["completion_tokens"] for t in trajectories),
        "llm_seconds": round(sum(t["llm_seconds"] for t in trajectories), 3),
        "seconds": round(time.perf_counter() - start, 3),
        "model_loads_in_process": loaded_engines(),
    }
    dataset.write_json(marker, summary)
    return {**summary, "skipped": False}


# --- on the client -----------------------------------------------------------------------------

def run_key(run_hash: str, partitions: int) -> str:
    """Markers are only valid for the same rows cut into the same partitions."""
    return f"{run_hash}-p{partitions}"


def prepare_output(plan: Plan, overwrite: bool) -> None:
    """Refuse to mix two runs in one folder, unless told to replace the old one."""
    out = plan.out_dir
    key = run_key(plan.run_hash, len(plan.partitions))
    old = dataset.read_json(out / "manifest.json")
    parts = out / ".parts"
    others = sorted(p.name for p in parts.iterdir() if p.name != key) if parts.is_dir() else []
    if old and run_key(old.get("run_hash", ""), old.get("partitions", 0)) != key:
        others.append(run_key(old.get("run_hash", "?"), old.get("partitions", 0)))
    if others and not overwrite:
        raise UserError(f"{out}: holds another run ({', '.join(sorted(set(others)))}); this recipe is run {key}. "
                        "Use --overwrite to replace it, or --output to write elsewhere.")
    if others:
        for name in (*dataset.CONFIGS, ".parts"):
            shutil.rmtree(out / name, ignore_errors=True)
        for name in ("manifest.json", "README.md"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def open_client(plan: Plan):
    """A distributed Client: a LocalCluster sized to the cores, or the recipe's scheduler address."""
    from distributed import Client, LocalCluster

    scheduler = plan.recipe.dask["scheduler"]
    if scheduler == "local":
        cluster = LocalCluster(n_workers=plan.workers, threads_per_worker=plan.recipe.dask["threads_per_worker"],
                               processes=True, dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster)
    try:
        return Client(scheduler, timeout="10s")
    except OSError as exc:
        raise UserError(f"{plan.recipe.path}: dask.scheduler: cannot reach {scheduler}: {exc}") from None


def execute(plan: Plan, progress=None) -> tuple[list[dict], list[str]]:
    """Run every partition as a dask.bag; returns partition summaries and failures."""
    import dask.bag as db

    settings = plan.settings()
    specs = list(enumerate(plan.partitions))
    bag = db.from_sequence(specs, npartitions=len(specs)).map(run_partition, settings)
    summaries, failures = [], []
    if plan.recipe.dask["scheduler"] == "sync":
        for summary in bag.compute(scheduler="sync"):
            summaries.append(summary)
            progress and progress(summary, len(specs))
        return summaries, failures
    from distributed import as_completed

    with open_client(plan) as client:
        futures = client.compute(bag.to_delayed())
        for future in as_completed(futures):
            try:
                for summary in future.result():
                    summaries.append(summary)
                    progress and progress(summary, len(specs))
            except Exception as exc:  # noqa: BLE001 - a failed partition must not lose the others
                failures.append(f"{type(exc).__name__}: {exc}")
        if plan.recipe.dask["scheduler"] == "local":
            client.cluster.close()
    return summaries, failures


def build_manifest(plan: Plan, summaries: list[dict], wall: float) -> dict:
    ran = [s for s in summaries if not s.get("skipped")]
    completion = sum(s["completion_tokens"] for s in summaries)
    reasons = Counter()
    for s in summaries:
        reasons.update(s["rejected_by_reason"])
    return {
        "run_hash": plan.run_hash, "recipe": plan.recipe.name, "recipe_file": plan.recipe.path,
        "model": plan.model.name, "model_sha256": plan.model.sha256, "toolmint": __version__,
        "tools": [{"name": t.name, "version": t.version} for t in plan.tools],
        "method": plan.recipe.method, "seed": plan.recipe.seed,
        "partitions": len(plan.partitions), "workers": plan.workers,
        "llama_threads_per_worker": threads_per_process(plan.workers),
        "counts": {c: sum(s["counts"][c] for s in summaries) for c in dataset.CONFIGS},
        "rejected_by_reason": dict(reasons.most_common()),
        "tokens": {"prompt": sum(s["prompt_tokens"] for s in summaries), "completion": completion},
        "timings": {
            "wall_seconds": round(wall, 3),
            "partitions_run": len(ran), "partitions_resumed": len(summaries) - len(ran),
            "llm_seconds": round(sum(s["llm_seconds"] for s in summaries), 3),
            "generated_tokens_per_s": round(sum(s["completion_tokens"] for s in ran) / wall, 2) if ran and wall else None,
        },
        "shards": {c: [f"{c}/{dataset.shard_name(i, len(plan.partitions))}" for i in range(len(plan.partitions))]
                   for c in dataset.CONFIGS},
    }


def run(plan: Plan, overwrite: bool = False, progress=None) -> dict:
    prepare_output(plan, overwrite)
    start = time.perf_counter()
    summaries, failures = execute(plan, progress)
    wall = time.perf_counter() - start
    if failures:
        raise UserError(*[f"{plan.out_dir}: a partition failed: {f}" for f in failures],
                        f"{plan.out_dir}: {len(summaries)} of {len(plan.partitions)} partitions are written; "
                        "run the same command again to finish the others")
    manifest = build_manifest(plan, summaries, wall)
    dataset.write_json(plan.out_dir / "manifest.json", manifest)
    dataset.write_card(plan.out_dir, manifest)
    return manifest

