"""The card's YAML header: what the Hub viewer and `datasets.load_dataset` read."""

import yaml

from builders.dataset.card import front_matter


def manifest(configs):
    return {"configs": configs, "default_config": "a", "method": {"name": "m"}, "recipe": "r"}


def test_configs_and_splits_are_listed_only_with_rows():
    # `datasets` refuses a listed split with no rows ("corresponds to no data") and a config without data files
    head = yaml.safe_load(front_matter(manifest({"a": {"train": 3, "test": 1}, "b": {}, "c": {"train": 0, "test": 2},
                                                 "rejected": {"train": 0}})).strip().strip("-"))
    files = {c["config_name"]: [d["split"] for d in c["data_files"]] for c in head["configs"]}
    assert files == {"a": ["train", "test"], "c": ["test"]}
    assert [c["config_name"] for c in head["configs"] if c.get("default")] == ["a"]
    empty_default = yaml.safe_load(front_matter(manifest({"a": {}, "rejected": {"train": 4}})).strip().strip("-"))
    assert empty_default["configs"] == [{"config_name": "rejected", "data_files": [
        {"split": "train", "path": "rejected/train-*.parquet"}], "default": True}]
    assert {"tool-use", "function-calling", "synthetic"} <= set(head["tags"]) and head["size_categories"] == ["n<1K"]
    assert head["license"] and head["pretty_name"] == "r" and head["task_categories"]
