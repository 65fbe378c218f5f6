"""The per-process runtime: one engine and one sandbox per worker process, made on first use.

The pipeline asks a factory for them; the default factory loads the real llama.cpp model, tests pass
their own (one scripted engine) through the same seam: `run(plan, runtime=…)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuntimeSpec:
    """What a worker needs to build its runtime: plain and picklable."""
    model_path: str
    n_ctx: int = 2048
    n_threads: int = 1
    chat_format: str | None = None
    sandbox: dict = field(default_factory=dict)  # the recipe's sandbox section


@dataclass
class Runtime:
    engine: object
    sandbox: object
    warnings: list = field(default_factory=list)


_SANDBOXES: dict = {}


def process_sandbox(section: dict):
    """One sandbox per worker process and setting (it closes itself at exit). A Dask worker makes
    one call at a time, so `workers: auto` means one sandbox worker per Dask worker here."""
    from sandbox import Sandbox
    from sandbox.limits import from_recipe

    key = tuple(sorted(section.items()))
    if key not in _SANDBOXES:
        limits, _, accept_weaker = from_recipe(section)
        workers = 1 if section.get("workers", "auto") == "auto" else section["workers"]
        _SANDBOXES[key] = Sandbox(limits, workers=workers, accept_weaker=accept_weaker)
    return _SANDBOXES[key]


def local_runtime(spec: RuntimeSpec) -> Runtime:
    """The real thing: this process's llama.cpp model and sandbox."""
    from builders.llm import get_engine

    engine = get_engine(spec.model_path, n_ctx=spec.n_ctx, n_threads=spec.n_threads, chat_format=spec.chat_format)
    box = process_sandbox(spec.sandbox)
    return Runtime(engine=engine, sandbox=box, warnings=list(getattr(box, "warnings", [])))
