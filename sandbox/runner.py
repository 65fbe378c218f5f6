"""The Sandbox API: a pool of pre-warmed workers, each forking one hardened child per task.

Thread-safe: several threads of one Dask worker may call the same Sandbox; each call borrows a
slot of the pool. A slot holds a worker, or nothing when its worker died: the next call that takes
it starts a new one. When that fails the slot is kept and the call answers `crashed` at once; starts
are retried by later calls, spaced out by a back-off, so a pool never shrinks and no call waits
for a worker that will never come.

What weakens isolation (a protection the kernel lacks) is logged and also kept, as plain lines, in
`Sandbox.warnings`: a pipeline hands them back from its workers, whose logs a user may never see.
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
from sandbox.limits import STATUSES, Limits
from sandbox.pool import WorkerDied, WorkerProcess

log = logging.getLogger("toolmint.sandbox")

ESSENTIAL = ("landlock", "seccomp", "uid_drop", "rlimits", "self_test")
OPTIONAL = ("landlock", "seccomp")  # what `without=` may leave off, as a kernel without them would
RETRY_S = (0.5, 30.0)  # back-off between attempts to start a worker: first wait, longest wait
_KEYS = ("status", "value", "stdout", "stderr", "exc_type", "message", "traceback", "cpu_ms", "wall_ms")


class SandboxRefused(RuntimeError):
    """Model-written code was refused because a protection is missing and the recipe did not accept that."""


class Sandbox:
    def __init__(self, limits: Limits | None = None, workers: int = 1, *, accept_weaker: bool = False,
                 preload: tuple[str, ...] = (), read_paths: tuple[str, ...] = (), scratch_base: str | None = None,
                 without: tuple[str, ...] = ()):
        """Start `workers` pre-warmed workers (about 0.3 s each, in parallel). `preload` names extra
        modules to import in each worker before any task; `read_paths` extra folders tasks may read.
        `without` leaves protections off (of OPTIONAL), e.g. to see how the pipeline behaves on a
        kernel that lacks them; they then count as missing, like on such a kernel."""
        unknown = sorted(set(without) - set(OPTIONAL))
        if unknown:
            raise ValueError(f"sandbox: cannot leave off {', '.join(unknown)}; only {', '.join(OPTIONAL)}")
        self.limits = limits or Limits()
        self.accept_weaker = accept_weaker
        self.warnings: list[str] = []
        self._config = {"preload": list(preload), "read_paths": list(read_paths), "scratch_base": scratch_base,
                        "without": list(without)}
        self._idle: queue.SimpleQueue = queue.SimpleQueue()  # live workers, and None for an empty slot
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._closed = False
        self._failures, self._retry_at, self._last_failure = 0, 0.0, ""
        started = [WorkerProcess(self._config) for _ in range(max(1, workers))]
        try:
            for worker in started:
                self._add(worker)
        except BaseException:
            for worker in started:
                worker.kill()
            raise
        ready = self._all[0].ready
        self.protections: dict = ready["protections"]
        self.missing = [name for name in ESSENTIAL if not self.protections.get(name, {}).get("active")]
        if self.missing:
            details = "; ".join(f"{name}: {self.protections.get(name, {}).get('detail', 'not reported')}"
                                for name in self.missing)
            self._warn(f"sandbox: missing protections {', '.join(self.missing)} ({details}); model-written code "
                       f"is {'accepted anyway (accept_weaker)' if accept_weaker else 'refused'}")
        not_loaded = sorted(set(preload) & set(ready.get("preload_failed", [])))
        if not_loaded:
            self._warn(f"sandbox: could not preload {', '.join(not_loaded)} in the workers")
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
        if self.missing:
            self._warn(f"sandbox: model-written code ran without {', '.join(self.missing)} (accept_weaker)")
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

    def _warn(self, message: str) -> None:
        """Log it, and keep it once for the caller to pass on (see the module docstring)."""
        with self._lock:
            if message in self.warnings:
                return
            self.warnings.append(message)
        log.warning("%s", message)

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
        worker = self._idle.get()  # every slot comes back: a call never keeps one past its deadline
        if worker is not None and not worker.alive():  # died while idle (killed from outside)
            self._forget(worker)
            worker = None
        if worker is None:
            worker, problem = self._start()
            if worker is None:
                self._idle.put(None)  # the slot stays; a later call tries again
                return _failure("crashed", problem, start)
        try:
            result = worker.request(task, limits.wall_s)
        except WorkerDied as exc:
            self._forget(worker)
            self._idle.put(None)
            return _failure("crashed", f"the sandbox worker failed: {exc}", start)
        self._idle.put(worker)
        return _checked(result, start)

    def _start(self) -> tuple[WorkerProcess | None, str]:
        """A new worker for an empty slot, or (None, why not). After a failure the next attempt
        waits RETRY_S[0] seconds, doubling up to RETRY_S[1]; calls in between fail at once."""
        with self._lock:
            wait = self._retry_at - time.monotonic()
            if self._closed:
                return None, "the sandbox is closed"
            if wait > 0:
                return None, (f"no sandbox worker could be started ({self._last_failure}); "
                              f"next attempt in {wait:.1f}s")
        worker = None
        try:
            worker = WorkerProcess(self._config)
            worker.wait_ready()
        except (OSError, WorkerDied, ValueError) as exc:
            if worker is not None:
                worker.kill()
            with self._lock:
                self._failures += 1
                self._retry_at = time.monotonic() + min(RETRY_S[1], RETRY_S[0] * 2 ** (self._failures - 1))
                self._last_failure = f"{type(exc).__name__}: {exc}"
            log.warning("sandbox: a worker failed to start: %s", exc)
            return None, f"a sandbox worker failed to start: {exc}; the pool tries again on a later call"
        with self._lock:
            self._failures, self._retry_at = 0, 0.0
            if self._closed:
                worker.kill()
                return None, "the sandbox is closed"
            self._all.append(worker)
        return worker, ""

    def _forget(self, dead: WorkerProcess) -> None:
        dead.kill()
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)


def _checked(result, start: float) -> dict:
    """The worker is trusted, but its answer is still read as data with a known shape."""
    if not isinstance(result, dict) or result.get("status") not in STATUSES:
        return _failure("crashed", "malformed answer from the sandbox worker", start)
    checked = {key: result.get(key) for key in _KEYS}
    if isinstance(result.get("state"), str):
        checked["state"] = result["state"]
        checked["state_changed"] = result.get("state_changed") is not False
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
