"""The per-process runtime: one engine and one sandbox per worker process, made on first use.

The pipeline asks a factory for them; the default factory loads the real llama.cpp model (wrapped in
the persistent LLM-call cache unless the recipe turns it off), tests pass their own (one scripted
engine) through the same seam: `run(plan, runtime=…)`, or for the CLI `TOOLMINT_RUNTIME=module:attr`.

llama.cpp threads are decided where the model runs: `n_threads=0` means "this process's cores shared
by the worker processes on its host" (`worker_threads`), so a cluster worker on a 32-core machine uses
its own cores, not the client's.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass, field

from builders.machine import cores

THREADS_ENV = "TOOLMINT_LLAMA_THREADS"  # set on cluster workers by executors.WorkerLayout
RUNTIME_ENV = "TOOLMINT_RUNTIME"  # tests: `module:attr`, a runtime factory the CLI uses instead of the real one


@dataclass(frozen=True)
class RuntimeSpec:
    """What a worker needs to build its runtime: plain and picklable."""
    model_path: str
    n_ctx: int = 2048
    n_threads: int = 0  # 0: decided on the worker (worker_threads)
    chat_format: str | None = None
    sandbox: dict = field(default_factory=dict)  # the recipe's sandbox section
    model_sha256: str = ""
    llm_cache: str | None = None  # the LLM-call cache file; None: off
    judge: RuntimeSpec | None = None  # the judge's own model (recipe `judge_model`); None: this one judges
    sequences: int = 1  # partitions this worker runs at once (> 1: one batching engine, builders/llm/batch.py); 0: its Dask threads


@dataclass
class Runtime:
    engine: object
    sandbox: object
    warnings: list = field(default_factory=list)
    judge: object = None  # the engine that judges rows; None: `engine` does


def worker_threads(spec_threads: int = 0) -> int:
    """llama.cpp threads for this process: the spec's if set, else what the cluster told this worker
    (its host's cores over the worker processes there), else all of this process's cores."""
    if spec_threads:
        return spec_threads
    told = os.environ.get(THREADS_ENV, "")
    if told.isdigit() and int(told) > 0:
        return int(told)
    return cores()


def worker_sequences(spec_sequences: int = 1) -> int:
    """Partitions this process runs at once: the spec's if set, else (a cluster worker) its Dask threads,
    so a worker started with `--nthreads 4` batches four partitions in one llama.cpp context."""
    if spec_sequences:
        return spec_sequences
    try:
        from distributed import get_worker

        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError):  # not in a Dask worker
        return 1


_SANDBOXES: dict = {}
_SANDBOX_LOCK = threading.Lock()


def process_sandbox(section: dict, callers: int = 1):
    """One sandbox per worker process and setting (it closes itself at exit). `workers: auto` means
    one sandbox worker per partition the Dask worker runs at once (`callers`, its sequences)."""
    from sandbox import Sandbox
    from sandbox.limits import from_recipe

    key = (tuple(sorted(section.items())), callers)
    with _SANDBOX_LOCK:  # a worker's threads may start their first partitions together
        if key not in _SANDBOXES:
            limits, _, accept_weaker = from_recipe(section)
            workers = callers if section.get("workers", "auto") == "auto" else section["workers"]
            _SANDBOXES[key] = Sandbox(limits, workers=workers, accept_weaker=accept_weaker)
        return _SANDBOXES[key]


def sandboxes_made() -> int:
    """How many sandboxes this process has made (the pipeline checks it stays at one per worker)."""
    return len(_SANDBOXES)


def local_runtime(spec: RuntimeSpec) -> Runtime:
    """The real thing: this process's llama.cpp model (and the judge's, when the recipe names one)
    and sandbox, behind the LLM-call cache."""
    box = process_sandbox(spec.sandbox, worker_sequences(spec.sequences))
    return Runtime(engine=model_engine(spec), sandbox=box, warnings=list(getattr(box, "warnings", [])),
                   judge=model_engine(spec.judge) if spec.judge else None)


def model_engine(spec: RuntimeSpec):
    """One loaded model per process and file, behind the LLM-call cache: a batching engine when this
    worker runs several sequences (builders/llm/batch.py), else the plain one."""
    from builders.llm.batch import get_batch_engine
    from builders.llm import get_engine

    sequences = worker_sequences(spec.sequences)
    if sequences > 1:
        engine = get_batch_engine(spec.model_path, n_ctx=spec.n_ctx, n_threads=worker_threads(spec.n_threads),
                                  chat_format=spec.chat_format, sequences=sequences)
    else:
        engine = get_engine(spec.model_path, n_ctx=spec.n_ctx, n_threads=worker_threads(spec.n_threads),
                            chat_format=spec.chat_format)
    return with_call_cache(engine, spec)


def with_call_cache(engine, spec: RuntimeSpec):
    """The engine behind the persistent LLM-call cache when the spec names one (methods see no change)."""
    if not spec.llm_cache:
        return engine
    from builders.llm.callcache import CachedEngine, open_cache

    return CachedEngine(engine, open_cache(spec.llm_cache), model_key=model_key(spec))


def model_key(spec: RuntimeSpec) -> str:
    """What besides the call decides a generation: the model bytes, context, chat template, the
    llama.cpp build and the JSON Schema → grammar translation."""
    import hashlib
    import inspect

    import llama_cpp

    from builders import grammar

    code = hashlib.sha256(inspect.getsource(grammar).encode()).hexdigest()[:12]
    return f"{spec.model_sha256}|ctx{spec.n_ctx}|{spec.chat_format}|llama_cpp {llama_cpp.__version__}|grammar {code}"


def runtime_from_env():
    """The runtime factory named by TOOLMINT_RUNTIME (`module:attr`), or None for the real one.
    A seam for tests (the resume drill runs the real CLI with a scripted, slowed engine)."""
    name = os.environ.get(RUNTIME_ENV)
    if not name:
        return None
    from builders.errors import UserError

    module, _, attr = name.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UserError(f"{RUNTIME_ENV}={name}: not a runtime factory module:attr ({exc})") from None
