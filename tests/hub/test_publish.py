"""`toolmint publish` against a Hub-compatible server on 127.0.0.1, read back with `datasets` and DuckDB.

huggingface_hub reads HF_ENDPOINT / HF_HUB_DISABLE_XET / HF_HOME when it is imported, so every client
runs in a subprocess with those set; the server runs in a thread of the test process, whose state the
tests inspect (commits, stored files, the request log).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.hub.server import HubServer

ROOT = Path(__file__).resolve().parents[2]
REPO = "tester/toolmint-demo"

CARD = """---
configs:
- config_name: ste
  data_files:
  - split: train
    path: ste/train-*.parquet
  default: true
- config_name: rejected
  data_files:
  - split: train
    path: rejected/train-*.parquet
license: apache-2.0
task_categories:
- text-generation
tags:
- tool-use
- function-calling
- synthetic
size_categories:
- n<1K
pretty_name: toolmint loopback test
---
# toolmint loopback test
"""

SCHEMA = pa.schema([
    ("id", pa.string()), ("query", pa.string()), ("messages", pa.list_(pa.json_(pa.string()))),
    ("tools", pa.list_(pa.json_(pa.string()))), ("seed", pa.int64()), ("accepted", pa.bool_()),
    ("reasons", pa.list_(pa.string())),
])


def _rows(config: str, n: int, start: int = 0) -> list[dict]:
    """Chat rows whose argument objects differ in keys and value types from row to row."""
    rows = []
    for i in range(start, start + n):
        arguments = {"expression": f"{i} * 7"} if i % 2 else {"city": "Paris", "days": i, "unit": None}
        call = {"id": f"call{i:05d}", "type": "function", "function": {"name": "calc", "arguments": arguments}}
        messages = [{"role": "user", "content": f"What is {i} times 7?"},
                    {"role": "assistant", "content": "", "tool_calls": [call]},
                    {"role": "tool", "tool_call_id": call["id"], "name": "calc", "content": str(i * 7)},
                    {"role": "assistant", "content": f"It is {i * 7}."}]
        tools = [{"type": "function", "function": {"name": "calc", "description": "Arithmetic.",
                                                   "parameters": {"type": "object", "properties": {}}}}]
        rows.append({"id": f"{config}-{i:03d}", "query": messages[0]["content"], "messages": messages,
                     "tools": tools, "seed": i, "accepted": config == "ste",
                     "reasons": [] if config == "ste" else ["answer_unfaithful"]})
    return rows


def write_shard(path: Path, rows: list[dict]) -> None:
    """As the writer does: JSON columns as Arrow's JSON extension type (list<json>)."""
    columns = {}
    for field in SCHEMA:
        values = [r[field.name] for r in rows]
        if field.type == SCHEMA.field("messages").type:
            storage = pa.array([[json.dumps(v) for v in value] for value in values], type=pa.list_(pa.string()))
            columns[field.name] = storage.cast(field.type)
        else:
            columns[field.name] = pa.array(values, type=field.type)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=SCHEMA), path)


@pytest.fixture
def dataset(tmp_path) -> Path:
    folder = tmp_path / "quickstart"
    write_shard(folder / "ste" / "train-00000-of-00001.parquet", _rows("ste", 5))
    write_shard(folder / "rejected" / "train-00000-of-00001.parquet", _rows("rejected", 3))
    (folder / "README.md").write_text(CARD)
    (folder / "manifest.json").write_text(json.dumps({"recipe": "quickstart", "run_hash": "abc123", "counts": {}}))
    (folder / ".parts" / "abc123-p0").mkdir(parents=True)
    (folder / ".parts" / "abc123-p0" / "00000.json").write_text("{}")  # resume marker: never published
    (folder / "ste" / ".train-00001-of-00002.parquet.4242.tmp").write_bytes(b"half a shard")  # a crashed write
    return folder


@pytest.fixture
def hub():
    with HubServer() as server:
        yield server


def client_env(hub: HubServer, tmp_path: Path, token: str | None = "valid") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf-home"),
               HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1", PYTHONPATH=str(ROOT),
               COLUMNS="200")
    if token is not None:
        env["HF_TOKEN"] = hub.token if token == "valid" else token
    return env


def publish_cli(hub, tmp_path, *args, token="valid", timeout=120) -> subprocess.CompletedProcess:
    """`toolmint publish …` through the command module (the console script imports /work/main's code)."""
    return subprocess.run([sys.executable, "-m", "builders.cli", "publish", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env=client_env(hub, tmp_path, token))


def read_back(hub, tmp_path, folder, *configs) -> dict:
    proc = subprocess.run([sys.executable, "-m", "tests.hub.readback", REPO, str(folder), *configs],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, env=client_env(hub, tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def local_rows(folder: Path, config: str) -> list[dict]:
    table = pq.read_table(sorted((folder / config).glob("train-*.parquet")))
    rows = table.to_pylist()
    for row in rows:
        row["messages"] = [json.loads(m) for m in row["messages"]]
        row["tools"] = [json.loads(t) for t in row["tools"]]
    return sorted(rows, key=lambda r: r["id"])


def test_publish_uploads_the_dataset_in_one_commit_and_reads_back_identical(hub, dataset, tmp_path):
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO)
    assert proc.returncode == 0, proc.stderr
    assert hub.token not in proc.stdout + proc.stderr
    assert "uploaded ste/train-00000-of-00001.parquet" in proc.stdout

    commits = hub.commits(REPO)
    assert [c.title for c in commits][1:] == ["initial commit"]  # exactly one commit on top of the repo's first
    files = hub.files(REPO)
    assert sorted(files) == [".gitattributes", "README.md", "manifest.json",
                             "rejected/train-00000-of-00001.parquet", "ste/train-00000-of-00001.parquet"]
    assert files["ste/train-00000-of-00001.parquet"].lfs and not files["README.md"].lfs
    assert files["ste/train-00000-of-00001.parquet"].data == (dataset / "ste/train-00000-of-00001.parquet").read_bytes()
    assert len(hub.requests("PUT", "/lfs-upload/")) == 2  # the two shards went through the LFS batch API
    assert hub.requests("POST", "/api/validate-yaml")  # the card was validated before the upload
    assert not hub.state.repos[REPO].private

    back = read_back(hub, tmp_path, dataset, "ste", "rejected")
    assert back["hub_views"] == ["rejected", "ste"]
    for config in ("ste", "rejected"):
        got = back["datasets"][config]
        assert got["splits"] == ["train"]
        assert "Json" in got["features"]  # list<json> read as datasets' Json feature
        assert got["rows"] == local_rows(dataset, config)  # heterogeneous argument objects round-trip exactly
        assert back["hub_sql"][config] == back["local_sql"][config]  # toolmint query hf://… == over the folder
        assert len(back["hub_sql"][config]) == {"ste": 5, "rejected": 3}[config]


def test_rerun_uploads_nothing_and_a_changed_folder_only_what_changed(hub, dataset, tmp_path):
    assert publish_cli(hub, tmp_path, dataset, "--repo", REPO).returncode == 0
    before, log = len(hub.commits(REPO)), len(hub.state.log)

    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO)
    assert proc.returncode == 0, proc.stderr
    assert "nothing changed" in proc.stdout
    assert len(hub.commits(REPO)) == before
    later = hub.state.log[log:]
    assert not [r for r in later if r[0] == "PUT" or "/commit/" in r[1] or "/preupload/" in r[1]], later

    # the run grew: rejected re-sharded into two files, ste unchanged
    (dataset / "rejected" / "train-00000-of-00001.parquet").unlink()
    write_shard(dataset / "rejected" / "train-00000-of-00002.parquet", _rows("rejected", 3))
    write_shard(dataset / "rejected" / "train-00001-of-00002.parquet", _rows("rejected", 2, start=3))
    log = len(hub.state.log)
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO)
    assert proc.returncode == 0, proc.stderr
    assert "removed  rejected/train-00000-of-00001.parquet" in proc.stdout
    assert len(hub.commits(REPO)) == before + 1
    assert "uploaded rejected/train-00001-of-00002.parquet" in proc.stdout and "uploaded ste/" not in proc.stdout
    puts = [r for r in hub.state.log[log:] if r[0] == "PUT"]
    # one object sent: the new rows. train-00000-of-00002 holds the same bytes as the old single shard, an LFS
    # object the Hub already has; the unchanged ste shard, card and manifest were not even offered.
    assert len(puts) == 1
    assert sorted(p for p in hub.files(REPO) if p.startswith("rejected/")) == [
        "rejected/train-00000-of-00002.parquet", "rejected/train-00001-of-00002.parquet"]
    back = read_back(hub, tmp_path, dataset, "rejected")
    assert [r["id"] for r in back["datasets"]["rejected"]["rows"]] == [f"rejected-{i:03d}" for i in range(5)]
    assert back["hub_sql"]["rejected"] == back["local_sql"]["rejected"] and len(back["hub_sql"]["rejected"]) == 5


def test_a_connection_dropped_once_mid_upload_is_retried(hub, dataset, tmp_path):
    hub.drop_uploads = 1
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO)
    assert proc.returncode == 0, proc.stderr
    assert hub.state.dropped == 1
    assert len(hub.commits(REPO)) == 2
    assert hub.files(REPO)["ste/train-00000-of-00001.parquet"].data == \
        (dataset / "ste/train-00000-of-00001.parquet").read_bytes()


def test_a_connection_lost_mid_upload_fails_clearly_without_a_commit_and_a_rerun_completes(hub, dataset, tmp_path):
    hub.drop_uploads = 1000  # every upload attempt, huggingface_hub's retries included (about 25 s of back-off)
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "connection to" in proc.stderr and "lost while uploading" in proc.stderr
    assert "no commit was made" in proc.stderr
    assert hub.state.dropped > 2
    assert [c.title for c in hub.commits(REPO)] == ["initial commit"]  # the repo was created, nothing committed

    hub.drop_uploads = 0
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO)
    assert proc.returncode == 0, proc.stderr
    assert len(hub.commits(REPO)) == 2
    assert "ste/train-00000-of-00001.parquet" in hub.files(REPO)


@pytest.mark.parametrize("token", ["hf_notTheRightToken", None])
def test_a_bad_or_missing_token_exits_2_with_one_line(hub, dataset, tmp_path, token):
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO, token=token)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("error:") == 1
    if token:
        assert "refused the token (401" in proc.stderr
        assert token not in proc.stdout + proc.stderr
    else:
        assert "no Hugging Face token" in proc.stderr
    assert REPO not in hub.state.repos


@pytest.mark.parametrize("repo, message", [
    ("no-namespace", "expected NAMESPACE/NAME"),
    ("me/bad name", "expected NAMESPACE/NAME"),
    ("me/double--dash", "--repo 'me/double--dash'"),
])
def test_an_invalid_repo_name_is_one_clear_line(hub, dataset, tmp_path, repo, message):
    proc = publish_cli(hub, tmp_path, dataset, "--repo", repo)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not hub.state.repos


def test_a_folder_without_shards_is_refused(hub, tmp_path):
    (tmp_path / "empty").mkdir()
    proc = publish_cli(hub, tmp_path, tmp_path / "empty", "--repo", REPO)
    assert proc.returncode == 2 and "no Parquet shards" in proc.stderr


def test_private_repo_and_a_revision_branch(hub, dataset, tmp_path):
    proc = publish_cli(hub, tmp_path, dataset, "--repo", REPO, "--private", "--revision", "v1")
    assert proc.returncode == 0, proc.stderr
    assert hub.state.repos[REPO].private
    assert [c.title for c in hub.commits(REPO, "main")] == ["initial commit"]
    assert "ste/train-00000-of-00001.parquet" in hub.files(REPO, "v1")
    with pytest.raises(urllib.error.HTTPError) as anonymous:  # private: not visible without the token
        urllib.request.urlopen(f"{hub.url}/api/datasets/{REPO}", timeout=10)
    assert anonymous.value.code == 404
    request = urllib.request.Request(f"{hub.url}/api/datasets/{REPO}/revision/v1",
                                     headers={"Authorization": f"Bearer {hub.token}"})
    info = json.loads(urllib.request.urlopen(request, timeout=10).read())
    assert info["private"] and "README.md" in {s["rfilename"] for s in info["siblings"]}


def test_query_of_a_missing_hub_dataset_is_a_user_error(hub, tmp_path):
    code = ("from builders.dataset.hub import connect_hub\n"
            "from builders.errors import UserError\n"
            "for url in ('hf://datasets/tester/nothing-here', 'hf://models/x/y'):\n"
            "    try:\n        connect_hub(url)\n    except UserError as e:\n        print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=client_env(hub, tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("hf://datasets/tester/nothing-here: no dataset tester/nothing-here on http://127.0.0.1")
    assert lines[1].startswith("hf://models/x/y: expected hf://datasets/")
