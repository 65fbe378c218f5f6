"""Executors: where partitions run. Each maps a function over items and yields, as they finish,
(item, result, error) — a failed partition never loses the others.

  InProcess   one after another in this process (`dask.scheduler: sync`; tests)
  DaskCluster a LocalCluster sized to the cores, or an existing scheduler at tcp://host:port
"""

from __future__ import annotations

import logging
import traceback
from typing import Callable, Iterator


class InProcess:
    name = "in-process"
    dashboard = None

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


class DaskCluster:
    def __init__(self, address: str | None, workers: int, source: str = "recipe"):
        self.address, self.workers, self.source = address, workers, source
        self.client = self.cluster = None

    @property
    def name(self) -> str:
        return f"Dask scheduler {self.address}" if self.address else f"Dask LocalCluster ({self.workers} processes)"

    @property
    def dashboard(self):
        return getattr(self.client, "dashboard_link", None) if self.client else None

    def __enter__(self):
        from distributed import Client, LocalCluster

        from builders.errors import UserError

        if self.address is None:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.address, timeout="10s")
            except OSError as exc:
                raise UserError(f"{self.source}: dask.scheduler: cannot reach {self.address}: {exc}") from None
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
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
