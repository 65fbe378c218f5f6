"""Record kinds: one dataclass gives the Arrow schema, the JSON Schema and the docs' column table."""

import dataclasses

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builders.record import (Call, Json, Record, Rejected, arrow_schema, column, column_table, decode_row,
                             json_schema, schema_problems, split_of, to_table)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Row(Record):
    config = "rows"
    accepted_schema = {"answer": {"minLength": 1}}
    answer: str = column("the answer", default="")
    arguments: Json = column("a call's arguments", default_factory=dict)
    messages: list[Json] = column("messages", default_factory=list)
    calls: list[Call] = column("calls", default_factory=list)
    note: str | None = column("optional", default=None)


def test_arrow_and_json_schema_come_from_the_dataclass():
    schema = arrow_schema(Row)
    assert schema.field("arguments").type == pa.json_(pa.string())
    assert schema.field("messages").type == pa.list_(pa.json_(pa.string()))
    assert schema.field("calls").type.value_type.field("status").type == pa.string()
    assert schema.field("seed").type == pa.int64()
    js = json_schema(Row)
    assert js["properties"]["calls"]["items"]["properties"]["wall_ms"] == {"type": "number", "minimum": 0}
    assert js["properties"]["note"]["type"] == ["string", "null"]
    assert set(js["required"]) == {f.name for f in dataclasses.fields(Row)}
    assert "| `answer` | string | the answer |" in column_table(Row)


def test_heterogeneous_json_round_trips_exactly_through_parquet_and_duckdb(tmp_path):
    rows = [Row(id="a", arguments={"a": 1}, messages=[{"role": "user", "content": "x"}]),
            Row(id="b", arguments={"b": "x", "c": [1, 2.5, None]},
                messages=[{"role": "assistant", "content": "", "tool_calls": [{"id": "123456789"}]}])]
    pq.write_table(to_table(Row, rows), tmp_path / "r.parquet")
    back = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert [decode_row(Row, r)["arguments"] for r in back] == [{"a": 1}, {"b": "x", "c": [1, 2.5, None]}]
    assert decode_row(Row, back[0])["messages"] == [{"role": "user", "content": "x"}]  # no padding with nulls
    got = duckdb.connect().execute(f"SELECT messages[1]->>'$.role', arguments->>'$.b' FROM '{tmp_path}/r.parquet' "
                                   "ORDER BY id").fetchall()
    assert got == [("user", None), ("assistant", "x")]


def test_records_are_frozen_and_the_verdict_is_a_new_record():
    row = Row(id="a", answer="yes")
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.answer = "no"
    judged = row.with_verdict([])
    assert judged.accepted and not row.accepted and judged is not row


def test_schema_problems_hold_accepted_rows_to_more():
    assert schema_problems(Row(id="a")) == []
    assert schema_problems(Row(id="a").with_verdict([])) == ["answer: '' should be non-empty"]
    assert schema_problems(Row(id="")) == ["id: '' should be non-empty"]
    bad = Row(id="a", calls=[Call(name="f", status="exploded")])
    assert any(p.startswith("calls.0.status") for p in schema_problems(bad))


def test_rejected_keeps_the_whole_row():
    row = Row(id="a", answer="no", recipe="r").with_verdict(["wrong_answer"])
    rejected = Rejected.of(row)
    assert rejected.kind == "rows" and rejected.reasons == ["wrong_answer"] and rejected.recipe == "r"
    assert rejected.record["answer"] == "no"


def test_splits_follow_the_group_alone():
    groups = [f"g{i}" for i in range(400)]
    splits = [split_of(g, 0.25) for g in groups]
    assert splits == [split_of(g, 0.25) for g in groups]
    assert 60 < splits.count("test") < 140
    assert {split_of(g, 0) for g in groups} == {"train"}
