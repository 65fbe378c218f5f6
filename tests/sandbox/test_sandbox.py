"""The sandbox API as the builders use it: tool targets, model-written code, state, limits, lifecycle."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from sandbox import STATUSES, Limits, Sandbox, SandboxRefused

CALCULATOR = {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}
KEYS = {"status", "value", "stdout", "stderr", "exc_type", "message", "traceback", "cpu_ms", "wall_ms"}


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=5, cpu_s=2), workers=2) as sandbox:
        yield sandbox


@pytest.fixture()
def tool_file(tmp_path):
    path = tmp_path / "tools.py"
    path.write_text(textwrap.dedent("""
        def greet(name):
            print("greeting", name)
            return {"greeting": f"hello {name}"}

        class Counter:
            def __init__(self, start=0):
                self.n = start

            def add(self, k):
                self.n += k
                return self.n
    """))
    return str(path)


def test_module_tool(box):
    result = box.call_tool(CALCULATOR, {"expression": "2 + 3 * 4"})
    assert set(result) == KEYS
    assert result["status"] == "ok" and result["value"] == 14
    assert result["cpu_ms"] > 0 and result["wall_ms"] > 0


def test_tool_error_is_data(box):
    result = box.call_tool(CALCULATOR, {"expression": "1 / 0"})
    assert result["status"] == "error"
    assert result["exc_type"] == "ValueError" and "division by zero" in result["message"]
    assert "calculator" in result["traceback"]


def test_missing_module_and_file(box):
    assert box.call_tool({"kind": "python", "module": "no_such_module", "function": "f"}, {})["status"] == "error"
    assert box.call_tool({"kind": "python", "file": "/nonexistent/t.py", "function": "f"}, {})["status"] == "error"


def test_file_tool_in_a_folder_the_task_user_cannot_read(box, tool_file):
    # pytest's tmp_path is a root-only folder: the worker reads the source, the task only gets the text
    result = box.call_tool({"kind": "python", "file": tool_file, "function": "greet"}, {"name": "Ada"})
    assert result["status"] == "ok", result
    assert result["value"] == {"greeting": "hello Ada"} and result["stdout"] == "greeting Ada\n"


def test_stateful_environment(box, tool_file):
    target = {"kind": "python", "file": tool_file, "class": "Counter", "method": "add", "init": {"start": 10}}
    first = box.call_tool(target, {"k": 1})
    assert first["status"] == "ok" and first["value"] == 11 and isinstance(first["state"], str)
    second = box.call_tool(target, {"k": 5}, state=first["state"])
    assert second["value"] == 16
    assert box.call_tool(target, {"k": 1})["value"] == 11  # a new episode starts from init


def test_run_code(box):
    result = box.run_code("import math\nprint('hi')\nresult = {'r': math.sqrt(16), 'xs': [1, 2]}")
    assert result["status"] == "ok" and result["value"] == {"r": 4.0, "xs": [1, 2]}
    assert result["stdout"] == "hi\n" and result["stderr"] == ""


def test_run_code_error_and_stderr(box):
    result = box.run_code("import sys\nprint('oops', file=sys.stderr)\nraise KeyError('k')")
    assert result["status"] == "error" and result["exc_type"] == "KeyError"
    assert result["stderr"] == "oops\n" and "<model-code>" in result["traceback"]


def test_non_json_value_is_given_as_repr(box):
    assert box.run_code("result = {1, 2}")["value"] == "{1, 2}"
    assert box.run_code("result = float('nan')")["value"] == "nan"


def test_large_return_value_hits_the_output_limit(box):
    result = box.run_code("result = 'x' * 100000", Limits(output_bytes=1000))
    assert result["status"] == "output_limit" and result["value"] is None


def test_print_over_the_output_limit(box):
    result = box.run_code("print('y' * 5000)\nresult = 1", Limits(output_bytes=1000))
    assert result["status"] == "output_limit" and len(result["stdout"]) == 1000


def test_statuses_are_the_documented_ones():
    assert set(STATUSES) == {"ok", "error", "timeout", "cpu_limit", "memory_limit", "output_limit",
                             "forbidden", "crashed"}


def test_protections_report(box):
    for name in ("landlock", "seccomp", "uid_drop", "rlimits", "self_test", "namespaces", "cgroup_pids"):
        assert name in box.protections
    assert box.missing == [] or not box.protections[box.missing[0]]["active"]


def test_refuses_model_code_when_a_protection_is_missing(box):
    box.missing = ["landlock"]
    try:
        with pytest.raises(SandboxRefused):
            box.run_code("result = 1")
        assert box.call_tool(CALCULATOR, {"expression": "1+1"})["value"] == 2  # catalogued tools still run
        box.accept_weaker = True
        assert box.run_code("result = 1")["value"] == 1
    finally:
        box.missing, box.accept_weaker = [], False


def test_worker_killed_from_outside_is_replaced(box):
    victim = box._all[0].proc.pid
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.1)
    results = [box.call_tool(CALCULATOR, {"expression": f"{i}*2"}) for i in range(4)]
    assert [r["value"] for r in results] == [0, 2, 4, 6]
    assert victim not in [w.proc.pid for w in box._all] and box.workers == 2


def test_threads_share_the_pool(box):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        values = list(pool.map(lambda i: box.call_tool(CALCULATOR, {"expression": f"{i}+1"})["value"], range(40)))
    assert values == list(range(1, 41))


def _in_daemon(queue):
    with Sandbox() as box:
        queue.put(box.call_tool(CALCULATOR, {"expression": "3*3"})["value"])


def test_works_inside_a_daemonic_process():
    """Dask workers are daemonic multiprocessing processes, which may not have multiprocessing children."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_in_daemon, args=(queue,), daemon=True)
    proc.start()
    assert queue.get(timeout=60) == 9
    proc.join(30)
    assert proc.exitcode == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


def test_workers_exit_when_the_parent_dies():
    code = ("import os, sys, json; from sandbox import Sandbox; box = Sandbox(workers=2); "
            "print(json.dumps([w.proc.pid for w in box._all]), flush=True); sys.stdin.read()")
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pids = json.loads(parent.stdout.readline())
    assert all(_alive(pid) for pid in pids)
    parent.kill()
    parent.wait()
    for _ in range(100):
        if not any(_alive(pid) for pid in pids):
            break
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def test_close_stops_the_workers():
    box = Sandbox(workers=2)
    pids = [w.proc.pid for w in box._all]
    box.close()
    assert not any(_alive(pid) for pid in pids)
    with pytest.raises(RuntimeError):
        box.run_code("result = 1")


def test_file_targets_must_be_python_files(box):
    """The worker reads tool files with its own rights, so a target cannot point at e.g. a token file."""
    result = box.call_tool({"kind": "python", "file": "/etc/hostname", "function": "f"}, {})
    assert result["status"] == "error" and result["exc_type"] == "FileNotFoundError"
