"""The Sandbox API: a pool of pre-warmed workers, each forking one hardened child per task.

Thread-safe: several threads of one Dask worker may call the same Sandbox; each call borrows an
idle worker. A worker that dies or hangs is killed and replaced on the next call.
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import threading
import time
import weakref
from dataclasses import asdict

from sandbox.http import call_http
from sandbox.limits import Limits
from sandbox.pool import WorkerDied, WorkerProcess

log = logging.getLogger("toolmint.sandbox")

ESSENTIAL = ("landlock", "seccomp", "uid_drop", "rlimits", "self_test")
_KEYS = ("status", "value", "stdout", "stderr", "exc_type", "message", "traceback", "cpu_ms", "wall_ms")
_STATUSES = {"ok", "error", "timeout", "cpu_limit", "memory_limit", "output_limit", "forbidden", "crashed"}


class SandboxRefused(RuntimeError):
    """Model-written code was refused because a protection is missing and the recipe did not accept that."""


class Sandbox:
    def __init__(self, limits: Limits | None = None, workers: int = 1, *, accept_weaker: bool = False,
                 preload: tuple[str, ...] = (), read_paths: tuple[str, ...] = (), scratch_base: str | None = None):
        """Start `workers` pre-warmed workers (about 0.3 s each, in parallel). `preload` names extra
        modules to import in each worker before any task; `read_paths` extra folders tasks may read."""
        self.limits = limits or Limits()
        self.accept_weaker = accept_weaker
        self._config = {"preload": list(preload), "read_paths": list(read_paths), "scratch_base": scratch_base}
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._closed = False
        started = [WorkerProcess(self._config) for _ in range(max(1, workers))]
        try:
            for worker in started:
                self._add(worker)
        except BaseException:
            for worker in started:
                worker.kill()
            raise
        self.protections: dict = self._all[0].ready["protections"]
        self.missing = [name for name in ESSENTIAL if not self.protections.get(name, {}).get("active")]
        if self.missing:
            log.warning("sandbox: missing protections %s; model-written code is %s", ", ".join(self.missing),
                        "accepted anyway (accept_weaker)" if accept_weaker else "refused")
        atexit.register(_close_ref, weakref.ref(self))

    @property
    def workers(self) -> int:
        return len(self._all)

    def call_tool(self, target: dict, arguments: dict, limits: Limits | None = None,
                  state: str | None = None) -> dict:
        """Run one tool call. `state` is the opaque blob a stateful environment's previous call
        returned in result["state"]; pass None for the first call of an episode."""
        if target.get("kind") == "http":
            return call_http(target, arguments, limits or self.limits)
        return self._run({"target": target, "arguments": arguments, "state": state}, limits)

    def run_code(self, code: str, limits: Limits | None = None) -> dict:
        """Run model-written code; the value of its global `result` is returned."""
        if self.missing and not self.accept_weaker:
            raise SandboxRefused(f"missing protections: {', '.join(self.missing)}; "
                                 "set `sandbox: {accept_weaker: true}` in the recipe to run anyway")
        return self._run({"code": code}, limits)

    def close(self) -> None:
        with self._lock:
            self._closed, workers, self._all = True, self._all, []
        for worker in workers:
            worker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _add(self, worker: WorkerProcess) -> None:
        try:
            worker.wait_ready()
        except (WorkerDied, ValueError) as exc:
            worker.kill()
            raise RuntimeError(f"a sandbox worker failed to start: {exc}") from exc
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _run(self, task: dict, limits: Limits | None) -> dict:
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        limits = limits or self.limits
        task["limits"] = asdict(limits)
        start = time.perf_counter()
        worker = self._idle.get()
        if not worker.alive():  # died while idle (killed from outside): replace it, lose no task
            self._replace(worker)
            worker = self._idle.get()
        try:
            result = worker.request(task, limits.wall_s)
        except WorkerDied as exc:
            self._replace(worker)
            return _failure("crashed", f"the sandbox worker failed: {exc}", start)
        self._idle.put(worker)
        return _checked(result, start)

    def _replace(self, dead: WorkerProcess) -> None:
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)
            closed = self._closed
        if not closed:
            self._add(WorkerProcess(self._config))


def _checked(result, start: float) -> dict:
    """The worker is trusted, but its answer is still read as data with a known shape."""
    if not isinstance(result, dict) or result.get("status") not in _STATUSES:
        return _failure("crashed", "malformed answer from the sandbox worker", start)
    checked = {key: result.get(key) for key in _KEYS}
    if isinstance(result.get("state"), str):
        checked["state"] = result["state"]
    return checked


def _failure(status: str, message: str, start: float) -> dict:
    return {"status": status, "value": None, "stdout": "", "stderr": "", "exc_type": None,
            "message": message, "traceback": None, "cpu_ms": None,
            "wall_ms": round((time.perf_counter() - start) * 1000, 3)}


def _close_ref(ref) -> None:
    box = ref()
    if box is not None:
        try:
            box.close()
        except Exception:  # noqa: BLE001 - at exit, best effort
            print("toolmint sandbox: close failed at exit", file=sys.stderr)
