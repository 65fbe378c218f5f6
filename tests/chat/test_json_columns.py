"""Chat rows stored as list<json> columns (Arrow's JSON extension type, Parquet's JSON logical type)
round-trip exactly through `datasets` and read naturally in DuckDB, whatever shape each row's
arguments and parameters have: no struct unification, no null padding, no type clash."""

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builders.chat_templates import render_checks, trl_template
from tests.chat.examples import ROWS
from tests.chat.test_templates import write_chat_parquet

datasets = pytest.importorskip("datasets")

A = {"a": 1}
B = {"b": "x", "c": [1, 2]}


def _row(id_, name, args, properties):
    from builders import chat
    return ([chat.user(f"use {name}"), chat.tool_call(id_, name, args), chat.tool_result(id_, name, "ok"),
             chat.assistant("done")],
            [chat.tool_entry({"name": name, "description": f"{name} tool",
                              "parameters": {"type": "object", "properties": properties}})])


HETEROGENEOUS = [_row("AAAAAAAA1", "f", A, {"a": {"type": "integer"}}),
                 _row("BBBBBBBB2", "g", B, {"b": {"type": "string"}, "c": {"type": "array"}}),
                 _row("CCCCCCCC3", "h", {"a": "now a string"}, {})]


@pytest.fixture
def folder(tmp_path):
    rows = HETEROGENEOUS + [ROWS[k]() for k in sorted(ROWS)]
    write_chat_parquet(tmp_path / "data" / "ste_sft" / "train-00000-of-00001.parquet", rows)
    return tmp_path / "data", rows


def test_the_file_carries_json_columns(folder):
    path, _ = folder
    schema = pq.read_schema(path / "ste_sft" / "train-00000-of-00001.parquet")
    assert schema.field("messages").type == pa.list_(pa.json_(pa.string()))
    assert schema.field("tools").type == pa.list_(pa.json_(pa.string()))


def test_datasets_reads_json_features_and_rows_round_trip_exactly(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path, rows = folder
    ds = datasets.load_dataset("parquet", data_files={"train": str(path / "ste_sft" / "*.parquet")},
                               cache_dir=str(tmp_path / "cache"))["train"]
    assert set(ds.features) == {"id", "messages", "tools"}
    for col in ("messages", "tools"):
        feature = ds.features[col]
        assert isinstance(feature, datasets.List) and isinstance(feature.feature, datasets.Json)
    got = [(r["messages"], r["tools"]) for r in ds]
    assert got == [(list(m), list(t)) for m, t in rows]
    assert ds[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == A          # exactly: no "b": None
    assert ds[1]["messages"][1]["tool_calls"][0]["function"]["arguments"] == B
    assert ds[2]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"a": "now a string"}
    assert "tool_calls" not in ds[0]["messages"][0] and "name" not in ds[0]["messages"][0]
    # What a trainer does next: the row as `datasets` gives it renders through a real template.
    for r in ds:
        assert render_checks(r["messages"], r["tools"], trl_template("qwen2_5")) == []


def test_datasets_reads_the_folder_as_a_config(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path, rows = folder
    ds = datasets.load_dataset(str(path), "default", cache_dir=str(tmp_path / "cache"))
    assert list(ds) == ["train"] and ds["train"].num_rows == len(rows)
    assert ds["train"][1]["tools"] == rows[1][1]


def test_duckdb_reads_json_lists_naturally(folder):
    path, rows = folder
    glob = str(path / "ste_sft" / "*.parquet")
    got = duckdb.sql(f"""
        SELECT messages[2]->>'$.role', messages[2]->'$.tool_calls[0].function.arguments',
               messages[3]->>'$.tool_call_id', tools[1]->>'$.function.name', typeof(messages)
        FROM '{glob}' ORDER BY id""").fetchall()
    assert got[0] == ("assistant", '{"a":1}', "AAAAAAAA1", "f", "JSON[]")
    assert json.loads(got[1][1]) == B
    calls = duckdb.sql(f"""
        SELECT m->>'$.tool_calls[0].function.name' AS tool, count(*) AS n
        FROM (SELECT unnest(messages) AS m FROM '{glob}') WHERE m->>'$.role' = 'assistant'
          AND json_exists(m, '$.tool_calls') GROUP BY tool ORDER BY tool""").fetchall()
    assert ("calculator", 2) in calls and ("f", 1) in calls


def test_why_not_structs():
    """The alternative the issue names: Arrow structs unify across rows, pad absent keys with nulls
    (a template then renders "b": null) and fail on a value whose type differs between rows."""
    args = pa.array([[A], [B]])
    assert args.to_pylist()[0] == [{"a": 1, "b": None, "c": None}]
    with pytest.raises(pa.ArrowInvalid):
        pa.array([[A], [{"a": "now a string"}]])
