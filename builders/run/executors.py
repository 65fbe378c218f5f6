"""Executors: where partitions run. Each maps a function over items and yields, as they finish,
(item, result, error) — a failed partition never loses the others.

  InProcess   one after another in this process (`dask.scheduler: sync`; tests)
  DaskCluster a LocalCluster sized to the cores, or an existing scheduler at tcp://host:port

On an existing cluster a WorkerPlugin (WorkerLayout) tells each worker how many llama.cpp threads it
may use: its own process's cores over the worker processes on its host. Models and sandboxes are then
made once per worker process, on its first partition (builders/run/runtime.py caches them).
"""

from __future__ import annotations

import logging
import os
import traceback
from collections import Counter
from typing import Callable, Iterator

from builders.errors import UserError
from builders.machine import cores

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # dask is a dependency; keep the in-process path importable without it
    WorkerPlugin = object


class WorkerLayout(WorkerPlugin):
    """Sets TOOLMINT_LLAMA_THREADS on each worker: its cores over the workers sharing its host. A
    worker's threads share its one engine (several threads: batched sequences), so they do not divide
    the cores again."""

    name = "toolmint-layout"

    def __init__(self, workers_per_host: dict[str, int]):
        self.workers_per_host = workers_per_host

    def setup(self, worker):
        from builders.run.runtime import THREADS_ENV

        host = worker.address.rsplit(":", 1)[0]
        share = max(1, self.workers_per_host.get(host, 1))
        os.environ[THREADS_ENV] = str(max(1, cores() // share))


def _worker_threads() -> tuple[int, int]:
    from builders.run.runtime import worker_threads

    return worker_threads(), cores()


class InProcess:
    name = "in-process"
    dashboard = None
    layout = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn: Callable, items: list) -> Iterator[tuple]:
        for item in items:
            try:
                yield item, fn(item), None
            except Exception as exc:  # noqa: BLE001 - reported per partition, the others go on
                yield item, None, _describe(exc)


# A worker's statistical profiler wakes every 10 ms to walk its threads' stacks, and its system
# monitor every 0.5 s; on 2 cores that is CPU taken from llama.cpp. Measured on `make bench`'s recipe:
# the same 6,117 generated tokens in 119.7 s without them against 133.0 s with them.
QUIET_WORKERS = {"distributed.worker.profile.enabled": False, "distributed.admin.system-monitor.interval": "5s"}


class DaskCluster:
    def __init__(self, address: str | None, workers: int, source: str = "recipe", threads: int = 1):
        self.address, self.workers, self.source, self.threads = address, workers, source, threads
        self.client = self.cluster = None
        self.layout: dict | None = None  # on an existing cluster: worker address → (llama threads, cores)

    @property
    def name(self) -> str:
        return (f"Dask scheduler {self.address}" if self.address else
                f"Dask LocalCluster ({self.workers} processes × {self.threads} threads)")

    @property
    def dashboard(self):
        if self.client is None:
            return None
        try:
            return self.client.dashboard_link if "dashboard" in self.client.scheduler_info().get("services", {}) else None
        except Exception:  # noqa: BLE001 - a display nicety
            return None

    def describe(self) -> str:
        """Processes × threads as the workers themselves decided them."""
        if not self.layout:
            return self.name
        hosts = Counter(addr.rsplit(":", 1)[0] for addr in self.layout)
        threads = sorted({t for t, _ in self.layout.values()})
        return (f"{self.name}: {len(self.layout)} worker processes on {len(hosts)} host(s) × "
                f"{'/'.join(map(str, threads))} llama.cpp threads")

    def __enter__(self):
        import dask
        from distributed import Client, LocalCluster

        if self.address is None:
            # a worker's threads run partitions at once, their model calls batched in one llama.cpp context
            with dask.config.set(QUIET_WORKERS):
                # dashboard_address=None still opens the scheduler's HTTP server on 8787, and a second run
                # on the machine then warns "Port 8787 is already in use"; ":0" takes any free port.
                # silence_logs: a partition's error comes back with its future; a closing worker's
                # missed heartbeat is no news
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=self.threads, processes=True,
                                            dashboard_address=":0", silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.address, timeout="10s")
                self.client.wait_for_workers(1, timeout=60)
            except (OSError, TimeoutError) as exc:
                if self.client is not None:
                    self.client.close()
                raise UserError(f"{self.source}: dask.scheduler: cannot use {self.address}: {exc}") from None
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
            per_host = Counter(addr.rsplit(":", 1)[0] for addr in workers)
            self.client.register_plugin(WorkerLayout(dict(per_host)), name=WorkerLayout.name)
            self.layout = self.client.run(_worker_threads)
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False

    def map(self, fn: Callable, items: list) -> Iterator[tuple]:
        from distributed import as_completed

        futures = {self.client.submit(fn, item, pure=False, key=f"partition-{i}"): item for i, item in enumerate(items)}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result(), None
            except Exception as exc:  # noqa: BLE001 - reported per partition, the others go on
                yield futures[future], None, _describe(exc)


def _describe(exc: BaseException) -> str:
    if type(exc).__name__ == "KilledWorker":  # Dask's words send users to worker logs they rarely have
        return ("the worker process running it died, on every retry: a crash inside llama.cpp or a native "
                "library (a segmentation fault, an abort) or the machine's out-of-memory killer; run the "
                "recipe with --set dask.scheduler=sync to see the crash in this terminal")
    if isinstance(exc, UserError):  # already one line for the user (e.g. a service that did not answer)
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
