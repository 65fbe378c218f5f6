"""The parent side of one pre-warmed worker: start it, send a task, wait for its answer with a deadline.

Workers are plain subprocesses (not multiprocessing), so a pool can live inside a daemonic Dask
worker. They get a clean environment (no HF_TOKEN or anything else of the parent's), and they exit
when their stdin closes, which also happens when this process dies without calling close().
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BOOT = "import json, sys; sys.path.insert(0, sys.argv[1]); from sandbox.worker import main; main(json.loads(sys.argv[2]))"
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}
GRACE_S = 5.0  # the worker enforces the task's deadline; this only catches a worker that hangs


class WorkerDied(RuntimeError):
    pass


class WorkerProcess:
    def __init__(self, config: dict):
        config = {"paths": [p for p in sys.path if p and os.path.isdir(p)], **config}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, _ROOT, json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=CLEAN_ENV, cwd="/",
            close_fds=True, start_new_session=True)
        self._buffer = b""
        self.ready: dict | None = None

    def wait_ready(self, timeout: float = 60.0) -> dict:
        self.ready = json.loads(self._read_line(time.monotonic() + timeout))
        return self.ready

    def request(self, task: dict, timeout: float) -> dict:
        """Send one task, return its result; raises WorkerDied (after killing it) on any failure."""
        try:
            self.proc.stdin.write(json.dumps(task).encode() + b"\n")
            self.proc.stdin.flush()
            return json.loads(self._read_line(time.monotonic() + timeout + GRACE_S))
        except (OSError, ValueError, WorkerDied) as exc:
            self.kill()
            raise WorkerDied(str(exc)) from exc

    def _read_line(self, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerDied("the worker did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                data = os.read(fd, 1 << 20)
                if not data:
                    raise WorkerDied(f"the worker exited (status {self._exit_status()})")
                self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _exit_status(self):
        try:
            return self.proc.wait(1.0)
        except subprocess.TimeoutExpired:
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 2.0) -> None:
        """Ask nicely (stdin EOF), then SIGKILL."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc.stdout.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
