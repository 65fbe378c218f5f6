"""The pool's life when things go wrong, the warnings a user must see, and the sandbox's independence."""

from __future__ import annotations

import ast
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from sandbox import Sandbox, SandboxRefused

CALCULATOR = {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}
SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"


def within(seconds: float, fn):
    """fn() in a thread: a call that waits forever fails the test instead of hanging it."""
    out: dict = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the call did not return within {seconds}s"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_a_worker_that_cannot_be_replaced_keeps_its_slot(tmp_path):
    """One worker; it dies and no new one can start (its scratch base is gone): every call answers
    promptly with `crashed` and a message, and once starting works again the slot is filled."""
    base = tmp_path / "scratch"
    base.mkdir()
    box = Sandbox(workers=1, scratch_base=str(base))
    try:
        assert box.call_tool(CALCULATOR, {"expression": "1+1"})["value"] == 2
        os.kill(box._all[0].proc.pid, signal.SIGKILL)
        box._all[0].proc.wait()
        shutil.rmtree(base)  # a worker's start-up sweeps and creates its folder here: it now fails
        for _ in range(3):
            result = within(30, lambda: box.call_tool(CALCULATOR, {"expression": "2+2"}))
            assert result["status"] == "crashed"
            assert "sandbox worker" in result["message"] and "start" in result["message"]
        base.mkdir()
        deadline = time.monotonic() + 60
        while True:  # retries are spaced out (back-off), so the slot fills a little later
            result = within(30, lambda: box.call_tool(CALCULATOR, {"expression": "3+3"}))
            if result["status"] == "ok" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert result["status"] == "ok" and result["value"] == 6
        assert box.workers == 1
    finally:
        box.close()


def test_a_failed_start_is_retried_with_back_off(tmp_path):
    """A broken start is not retried on every call (each would cost a process start), but it is retried."""
    base = tmp_path / "scratch"
    base.mkdir()
    box = Sandbox(workers=1, scratch_base=str(base))
    try:
        os.kill(box._all[0].proc.pid, signal.SIGKILL)
        box._all[0].proc.wait()
        shutil.rmtree(base)
        first = within(30, lambda: box.call_tool(CALCULATOR, {"expression": "1"}))
        second = within(30, lambda: box.call_tool(CALCULATOR, {"expression": "1"}))
        assert first["status"] == second["status"] == "crashed"
        assert "next attempt in" in second["message"]
        assert second["wall_ms"] < 100  # waited for nothing, started nothing
    finally:
        box.close()


def test_a_sandbox_that_cannot_start_raises_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="sandbox worker failed to start"):
        within(60, lambda: Sandbox(workers=1, scratch_base=str(tmp_path / "missing")))


def test_weaker_isolation_is_recorded_for_the_user(caplog):
    """Log levels of a cluster may hide the log line: `box.warnings` is what a pipeline hands back."""
    with caplog.at_level(logging.WARNING, logger="toolmint.sandbox"):
        with Sandbox(workers=1, without=("landlock",)) as box:
            assert box.missing == ["landlock"]
            assert not box.protections["landlock"]["active"]
            assert len(box.warnings) == 1 and "landlock" in box.warnings[0] and "refused" in box.warnings[0]
            with pytest.raises(SandboxRefused):
                box.run_code("result = 1")
    assert any("missing protections" in r.getMessage() for r in caplog.records)

    with Sandbox(workers=1, without=("landlock", "seccomp"), accept_weaker=True) as box:
        assert box.missing == ["landlock", "seccomp"]
        assert "accepted anyway" in box.warnings[0]
        assert box.run_code("result = 6 * 7")["value"] == 42
        assert box.run_code("result = 1")["value"] == 1
        ran = [w for w in box.warnings if "ran without" in w]
        assert len(ran) == 1 and "landlock, seccomp" in ran[0]  # said once, not once per call


def test_full_isolation_has_no_warnings():
    with Sandbox(workers=1) as box:
        assert box.warnings == [] if not box.missing else box.warnings
        assert box.run_code("result = 1")["value"] == 1


def test_without_names_only_protections_that_can_be_left_off():
    with pytest.raises(ValueError, match="uid_drop"):
        Sandbox(workers=1, without=("uid_drop",))


def test_sandbox_imports_nothing_from_builders():
    """The sandbox is the lower layer: builders use it, never the other way round."""
    offenders = []
    for path in sorted(SANDBOX.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level > 1:
                names = ["(relative import above sandbox/)"]
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] == "builders" or n.startswith("(")]
    assert offenders == []
