"""Shards as readers take them: an empty one too."""

import dataclasses

import pyarrow.parquet as pq

from builders.dataset.shards import write_shard
from builders.record import Json, Record, column


@dataclasses.dataclass(frozen=True, kw_only=True)
class Row(Record):
    config = "rows"
    messages: list[Json] = column("messages", default_factory=list)


def test_an_empty_shard_has_the_schema_and_no_row_group_and_datasets_reads_it(tmp_path):
    import datasets

    rel = write_shard(tmp_path, Row, "train", 0, 1, [])
    meta = pq.ParquetFile(tmp_path / rel).metadata
    assert meta.num_rows == 0 and meta.num_row_groups == 0
    assert pq.read_schema(tmp_path / rel).field("messages").type.value_type.extension_name == "arrow.json"
    write_shard(tmp_path, Row, "train", 0, 1, [])
    full = write_shard(tmp_path / "b", Row, "train", 0, 1, [Row(id="a", messages=[{"role": "user", "content": "x"}])])
    ds = datasets.load_dataset("parquet", data_files={"train": [str(tmp_path / rel), str(tmp_path / "b" / full)]},
                               split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == 1 and ds[0]["messages"] == [{"role": "user", "content": "x"}]
