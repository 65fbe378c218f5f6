"""The parent side: start one child process per task, enforce the wall clock, read its JSON.

This is the simple first version (a fresh interpreter per call). The pool of pre-warmed,
hardened workers replaces it behind the same `Sandbox` API.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict

from sandbox.http import call_http
from sandbox.limits import Limits


class Sandbox:
    def __init__(self, limits: Limits | None = None, workers: int = 1):
        self.limits = limits or Limits()
        self.workers = workers

    def call_tool(self, target: dict, arguments: dict, limits: Limits | None = None,
                  state: str | None = None) -> dict:
        """Run one tool call. `state` is the opaque blob a stateful environment's previous call
        returned in result["state"]; pass None for the first call of an episode."""
        if target.get("kind") == "http":
            return call_http(target, arguments, limits or self.limits)
        return self._run({"target": target, "arguments": arguments, "state": state}, limits)

    def run_code(self, code: str, limits: Limits | None = None) -> dict:
        return self._run({"code": code}, limits)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _run(self, request: dict, limits: Limits | None) -> dict:
        limits = limits or self.limits
        request["limits"] = asdict(limits)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="toolmint-sbx-") as scratch:
            try:
                proc = subprocess.run(
                    [sys.executable, "-I", "-m", "sandbox.child"],
                    input=json.dumps(request), capture_output=True, text=True,
                    timeout=limits.wall_s, cwd=scratch, env={"PATH": "/usr/bin:/bin", "HOME": scratch},
                )
            except subprocess.TimeoutExpired:
                return _failure("timeout", f"wall time limit of {limits.wall_s}s exceeded", start)
        wall_ms = round((time.perf_counter() - start) * 1000, 3)
        lines = proc.stdout.strip().splitlines()
        try:
            result = json.loads(lines[-1]) if lines else None
        except json.JSONDecodeError:
            result = None
        if not isinstance(result, dict) or result.get("status") not in {"ok", "error", "memory_limit"}:
            status = "cpu_limit" if proc.returncode in (-24, -9) else "crashed"
            return _failure(status, f"child exited with {proc.returncode}: {proc.stderr[-500:]}", start)
        result["wall_ms"] = wall_ms
        return result


def _failure(status: str, message: str, start: float) -> dict:
    return {"status": status, "value": None, "stdout": "", "stderr": "", "exc_type": None,
            "message": message, "traceback": None, "cpu_ms": None,
            "wall_ms": round((time.perf_counter() - start) * 1000, 3)}
