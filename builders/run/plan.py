"""Recipe → a Plan: the model and tools resolved, the method's units cut into partitions, the run named.

Partitions depend on the recipe alone, never on the machine: a unit group (STE: one tool's episodes)
is never split, and groups are packed into at most `dask.partitions` partitions (auto: one per group,
at most 64). The same recipe therefore names the same run, and resumes, on any machine.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import builders
from builders import __version__
from builders.errors import UserError
from builders.machine import cores, threads_per_process
from builders.methods import Method, Unit, get
from builders.model_file import ModelFile, check_loads, resolve_model
from builders.recipe import Recipe
from builders.run.runtime import RuntimeSpec, local_runtime
from builders.tools import Tool, resolve_tools

AUTO_PARTITIONS = 64
# `dask.sequences: auto` for a model whose generation dominates: one process, all cores, this many
# sequences in its one llama.cpp context (measured on 2 cores, docs/architecture.md "Sequences").
AUTO_SEQUENCES = 16
BATCHING_MODEL_BYTES = 256 * 2**20  # the 135M model (98 MB) runs faster as one sequence per core


@dataclass(frozen=True)
class Settings:
    """What a worker needs to run any partition: plain, picklable, the same for every partition."""
    out_dir: str
    run_key: str
    total: int
    method: Method
    method_settings: dict
    tools: tuple[Tool, ...]
    runtime_spec: RuntimeSpec
    runtime: Callable = local_runtime
    provenance: dict = field(default_factory=dict)


@dataclass
class Plan:
    recipe: Recipe
    method: Method
    model: ModelFile
    tools: list[Tool]
    run_hash: str
    out_dir: Path
    workers: int
    partitions: list[list[Unit]]
    judge: ModelFile | None = None  # the recipe's judge_model; None: the model judges its own rows

    @property
    def run_key(self) -> str:
        """Markers are only valid for the same rows cut into the same partitions."""
        return f"{self.run_hash}-p{len(self.partitions)}"

    @property
    def threads(self) -> int:
        return threads_per_process(self.workers)

    @property
    def sequences(self) -> int:
        """Partitions each worker process runs at once, batched in its one llama.cpp context. On an
        existing cluster each worker's own threads (`dask worker --nthreads`) decide it."""
        if self.recipe.dask["scheduler"] == "sync":
            return 1  # one partition after another in this process: nothing to batch
        chosen = self.recipe.dask.get("sequences", "auto")
        if chosen != "auto":
            return chosen
        return min(auto_sequences(self.model.size), max(1, math.ceil(len(self.partitions) / self.workers)))

    @property
    def layout_reason(self) -> str:
        """Why this processes × threads × sequences, for the run header."""
        if self.recipe.dask["scheduler"] == "sync":
            return "sync: one process"
        if self.recipe.dask.get("sequences", "auto") != "auto":
            return "as the recipe says"
        if auto_sequences(self.model.size) > 1:
            return (f"a {self.model.size / 1e9:.1f} GB model: generation dominates, so one context batches up to "
                    f"{AUTO_SEQUENCES} sequences ({len(self.partitions)} partitions)")
        return "a small model: prompts dominate, one sequence per core is faster"

    @property
    def remote(self) -> bool:
        """An existing cluster: its workers decide their own llama.cpp threads."""
        return self.recipe.dask["scheduler"] not in ("sync", "local")

    @property
    def llm_cache(self) -> str | None:
        from builders.llm.callcache import default_path

        return default_path() if self.recipe.dask.get("llm_cache", True) else None

    def model_spec(self, model: ModelFile, named) -> RuntimeSpec:
        options = named if isinstance(named, dict) else {}
        return RuntimeSpec(model_path=model.path, n_ctx=options.get("n_ctx", 2048),
                           n_threads=0 if self.remote else self.threads,
                           chat_format=options.get("chat_format"), sandbox=dict(self.recipe.sandbox),
                           model_sha256=model.sha256, llm_cache=self.llm_cache,
                           sequences=0 if self.remote else self.sequences)

    def settings(self, runtime: Callable | None = None) -> Settings:
        spec = self.model_spec(self.model, self.recipe.model)
        if self.judge:
            spec = replace(spec, judge=self.model_spec(self.judge, self.recipe.judge_model))
        return Settings(
            out_dir=str(self.out_dir), run_key=self.run_key, total=len(self.partitions), method=self.method,
            method_settings=dict(self.recipe.method), tools=tuple(self.tools), runtime_spec=spec,
            runtime=runtime or local_runtime,
            provenance={"run_hash": self.run_hash, "recipe": self.recipe.name, "model": self.model.name,
                        "model_sha256": self.model.sha256,
                        "judge_model": self.judge.name if self.judge else self.model.name,
                        "judge_sha256": self.judge.sha256 if self.judge else self.model.sha256},
        )


def auto_sequences(model_bytes: int) -> int:
    """`dask.sequences: auto`. Measured on 2 cores (docs/architecture.md, sequences): the 135M model
    made 39.4 generated tokens/s with 4 sequences against 39.3–39.6 with one — its prompts are most
    of the work — while Qwen2.5-Coder-1.5B generates 14.6 tokens/s alone and 63.5 at 16 sequences,
    the 0.5B 31 alone and 99.6 at 8."""
    return AUTO_SEQUENCES if model_bytes >= BATCHING_MODEL_BYTES else 1


def auto_workers(recipe: Recipe, model: ModelFile) -> int:
    """`dask.workers: auto`: one process holding all cores when its context batches sequences (one
    model in memory, one batch per step); else one process per core (llama.cpp threads spin, so
    processes × threads stay within the cores)."""
    batching = recipe.dask.get("sequences", "auto")
    batching = auto_sequences(model.size) if batching == "auto" else batching
    return 1 if batching > 1 else cores()


def make_plan(recipe: Recipe, output: str | None = None, *, check_model: bool = True) -> Plan:
    if recipe.dask["threads_per_worker"] != 1:
        raise UserError(f"{recipe.path}: dask.threads_per_worker: {recipe.dask['threads_per_worker']}: each worker "
                        "process holds one llama.cpp model, which is not thread-safe; use 1 and set dask.sequences "
                        "(partitions batched in one llama.cpp context) or dask.workers for more parallelism")
    method = get(recipe.method["name"])
    model = resolve_model(recipe.model, source=recipe.path, base_dir=recipe.base_dir)
    judge = None
    if recipe.judge_model is not None:
        judge = resolve_model(recipe.judge_model, source=recipe.path, base_dir=recipe.base_dir, field="judge_model")
        if judge.sha256 == model.sha256 and _options(recipe.judge_model) == _options(recipe.model):
            judge = None  # the same model: one engine, one KV cache, one chain in the LLM-call cache
    if check_model:
        check_loads(model, source=recipe.path)
        if judge:
            check_loads(judge, source=recipe.path, field="judge_model")
    tools = resolve_tools(recipe.tools, source=recipe.path, base_dir=recipe.base_dir,
                          on_error=recipe.on_tool_error) if recipe.tools else []
    digest = run_hash(recipe, model.sha256, tools, judge.sha256 if judge else None)
    units = method.units(recipe, tools)
    if not units:
        raise UserError(f"{recipe.path}: method: the recipe gives the {method.name} method no work")
    workers = recipe.dask["workers"]
    workers = auto_workers(recipe, model) if workers == "auto" else workers
    if recipe.dask["scheduler"] == "sync":
        workers = 1
    partitions = cut(units, recipe.dask["partitions"])
    return Plan(recipe, method, model, tools, digest, Path(output or recipe.output), workers, partitions, judge)


def _options(named) -> dict:
    return {k: named[k] for k in ("n_ctx", "chat_format") if k in named} if isinstance(named, dict) else {}


def cut(units: list[Unit], count) -> list[list[Unit]]:
    """Whole groups, in order, packed into at most `count` partitions of about equal size."""
    groups: dict[str, list[Unit]] = {}
    for unit in units:
        groups.setdefault(unit.group, []).append(unit)
    if count == "auto" and len(groups) <= AUTO_PARTITIONS:
        return list(groups.values())
    count = min(len(groups), AUTO_PARTITIONS if count == "auto" else count)
    target = math.ceil(len(units) / count)
    partitions: list[list[Unit]] = [[]]
    for members in groups.values():
        if partitions[-1] and len(partitions[-1]) + len(members) > target and len(partitions) < count:
            partitions.append([])
        partitions[-1].extend(members)
    return partitions


# --- naming the run ---------------------------------------------------------------------------------

def run_hash(recipe: Recipe, model_sha256: str, tools: list[Tool], judge_sha256: str | None = None) -> str:
    """Same recipe content, model bytes, tools (specs and code) and toolmint code → same rows → same hash.
    Nothing about the machine goes in."""
    material = {
        "recipe": recipe.identity(),
        "model_sha256": model_sha256,
        "tools": [{"spec": t.spec(), "version": t.version, "code": tool_code_digest(t)} for t in tools],
        "toolmint": [__version__, code_digest()],
    }
    if judge_sha256:
        material["judge_sha256"] = judge_sha256
    return hashlib.sha256(repr(sorted(material.items())).encode()).hexdigest()[:16]


def _digest_files(paths) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


_CODE: list[str] = []


def code_digest() -> str:
    """toolmint's own code (builders/, sandbox/, schemas/): editing it names a new run."""
    if not _CODE:
        root = Path(builders.__file__).resolve().parent.parent
        files = [p for d in ("builders", "sandbox", "schemas") for p in (root / d).rglob("*")
                 if p.suffix in (".py", ".json") and "__pycache__" not in p.parts]
        _CODE.append(_digest_files(files))
    return _CODE[0]


def tool_code_digest(tool: Tool) -> str:
    """The code a user's tool runs: its file and the Python files beside it (which it may import)."""
    target = tool.target
    if target.get("file"):
        path = Path(target["file"])
        return _digest_files([p for p in path.parent.glob("*.py")] or [path]) if path.exists() else "missing"
    if target.get("module") and "." not in target["module"]:  # find_spec would import a dotted name's parents
        import importlib.util

        spec = importlib.util.find_spec(target["module"])
        if spec and spec.origin and Path(spec.origin).is_file():
            return _digest_files([Path(spec.origin)])
    return ""
