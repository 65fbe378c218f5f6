"""The attack suite: each file in tests/attacks/ is hostile model-written code. Each must be contained,
reported with its specific status, and leave the pool serving correct results."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sandbox import Limits, Sandbox

ATTACKS = Path(__file__).parent / "attacks"
LIMITS = Limits(wall_s=2.0, cpu_s=1.0, memory_mb=256, output_bytes=65536)
SECRET_TOKEN = "hf_toolmintAttackSuiteNotARealToken"
CALCULATOR = {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}


@pytest.fixture(scope="module")
def box():
    """One pool for the whole suite, started while the parent holds a secret in its environment."""
    saved = os.environ.get("HF_TOKEN")
    os.environ["HF_TOKEN"] = SECRET_TOKEN
    try:
        sandbox = Sandbox(LIMITS, workers=2)
    finally:
        if saved is None:
            del os.environ["HF_TOKEN"]
        else:
            os.environ["HF_TOKEN"] = saved
    yield sandbox
    sandbox.close()


def attack(box: Sandbox, name: str, prelude: str = "", limits: Limits = LIMITS) -> dict:
    result = box.run_code(prelude + (ATTACKS / name).read_text(), limits)
    assert SECRET_TOKEN not in json.dumps(result)
    # The pool keeps serving correct results on every worker afterwards.
    for i in range(box.workers + 1):
        assert box.call_tool(CALCULATOR, {"expression": f"6*7+{i}"})["value"] == 42 + i
    assert box.run_code("result = sum(range(5))")["value"] == 10
    return result


@pytest.mark.parametrize("name", ["tcp_connect.py", "udp_send.py", "tcp_bind.py", "unix_socket.py", "fork_bomb.py",
                                  "subprocess_exec.py", "exec_in_place.py", "ctypes_syscall.py",
                                  "ctypes_unshare.py"])
def test_forbidden_system_calls(box, name):
    result = attack(box, name)
    assert result["status"] == "forbidden", result
    assert "seccomp" in result["message"]
    assert result["value"] is None


def test_write_outside_scratch(box, tmp_path):
    for target in ["/tmp/toolmint-escaped.txt", str(Path(__file__).parent / "escaped.txt"), "/etc/toolmint-escaped"]:
        result = attack(box, "write_outside.py", f"TARGET = {target!r}\n")
        assert result["status"] == "forbidden", result
        assert result["exc_type"] == "PermissionError"
        assert not os.path.exists(target)


def test_any_standard_module_imports(box):
    """The task user cannot reach the interpreter's folder (pyenv under a 0700 /root) yet may import
    from it through the worker's folder descriptors; reading it by its real path stays refused."""
    result = box.run_code("import xml.dom.minidom, email.mime.text, http.client\nresult = 1")
    assert result["status"] == "ok", result


def test_writing_inside_scratch_is_allowed_and_cleaned(box):
    result = box.run_code("import os\nopen('note.txt', 'w').write('x')\nresult = sorted(os.listdir('.'))")
    assert result["status"] == "ok" and result["value"] == ["note.txt"]
    assert box.run_code("import os\nresult = os.listdir('.')")["value"] == []


def test_environment_carries_no_secret(box):
    result = attack(box, "read_env_token.py")
    assert result["status"] == "ok", result
    assert result["value"]["HF_TOKEN"] is None
    assert set(result["value"]["environ"]) <= {"PATH", "HOME", "TMPDIR", "LANG"}


def test_read_token_file_under_home(box):
    secret = Path.home() / ".cache" / "toolmint-attack-suite" / "token"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(SECRET_TOKEN)
    try:
        result = attack(box, "read_token_file.py", f"SECRET = {str(secret)!r}\n")
        assert result["status"] == "forbidden", result
        assert result["exc_type"] == "PermissionError"
        escape = attack(box, "escape_via_fd_route.py", f"SECRET = {str(secret)!r}\n")
        assert escape["status"] == "forbidden", escape
        # the real Hub token path is refused too (whether or not it exists here)
        other = box.run_code((ATTACKS / "read_token_file.py").read_text())
        assert other["status"] in ("forbidden", "error") and other["value"] is None
    finally:
        secret.unlink()
        secret.parent.rmdir()


def test_memory_bomb(box):
    result = attack(box, "memory_bomb.py", limits=Limits(wall_s=10, cpu_s=5, memory_mb=128))
    assert result["status"] == "memory_limit", result


def test_infinite_loop(box):
    result = attack(box, "infinite_loop.py", limits=Limits(wall_s=30, cpu_s=1))
    assert result["status"] == "cpu_limit", result


def test_catching_the_cpu_limit_does_not_help(box):
    result = attack(box, "catch_cpu_limit.py", limits=Limits(wall_s=30, cpu_s=1))
    assert result["status"] == "cpu_limit", result
    assert result["cpu_ms"] >= 1000


def test_sleep_past_deadline(box):
    result = attack(box, "sleep_past_deadline.py", limits=Limits(wall_s=0.5, cpu_s=5))
    assert result["status"] == "timeout", result


def test_catching_the_timeout_does_not_help(box):
    result = attack(box, "catch_timeout.py", limits=Limits(wall_s=0.5, cpu_s=5))
    assert result["status"] == "timeout", result


def test_kill_parent(box):
    pids = [worker.proc.pid for worker in box._all]
    result = attack(box, "kill_parent.py")
    assert result["status"] == "forbidden", result
    assert [worker.proc.pid for worker in box._all] == pids  # no worker had to be replaced


def test_stdout_flood(box):
    result = attack(box, "stdout_flood.py")
    assert result["status"] == "output_limit", result
    assert len(result["stdout"]) <= LIMITS.output_bytes


def test_object_that_equals_everything(box):
    result = attack(box, "eq_always_true.py")
    assert result["status"] == "ok"
    assert isinstance(result["value"], str) and result["value"].startswith("<__toolmint__.Liar")
    assert result["value"] != "the expected answer"


def test_forged_report(box):
    result = attack(box, "forge_report.py")
    assert result["status"] == "crashed", result
    assert result["value"] is None and "state" not in result and result["cpu_ms"] > 0


def test_grandchild_cannot_outlive_the_task(box, tmp_path):
    marker = Path("/tmp") / f"toolmint-grandchild-{os.getpid()}"
    result = attack(box, "grandchild_outlives.py", f"MARKER = {str(marker)!r}\n")
    assert result["status"] == "forbidden", result
    time.sleep(1.5)  # give a surviving grandchild the time to write (not a timing assertion)
    assert not marker.exists()


def test_every_attack_file_is_covered():
    source = Path(__file__).read_text()
    assert all(path.name in source for path in ATTACKS.glob("*.py"))


def test_threads_and_asyncio_still_work(box):
    """What the filter allows on purpose: threads (clone with CLONE_THREAD) and socketpair (asyncio)."""
    code = ("import asyncio, threading\nout = []\nt = threading.Thread(target=out.append, args=(1,))\n"
            "t.start(); t.join()\nasync def f():\n    await asyncio.sleep(0)\n    return 2\n"
            "result = out + [asyncio.run(f())]")
    result = box.run_code(code)
    assert result["status"] == "ok" and result["value"] == [1, 2], result
