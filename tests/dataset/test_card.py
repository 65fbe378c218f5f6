"""The card's YAML header: what the Hub viewer and `datasets.load_dataset` read."""

import yaml

from builders.dataset.card import front_matter


def manifest(configs):
    return {"configs": configs, "default_config": "a", "method": {"name": "m"}, "recipe": "r"}


def test_every_config_lists_its_train_split_even_when_empty():
    head = yaml.safe_load(front_matter(manifest({"a": {"train": 3, "test": 1}, "b": {}, "rejected": {"train": 0}}))
                          .strip().strip("-"))
    files = {c["config_name"]: [d["split"] for d in c["data_files"]] for c in head["configs"]}
    assert files == {"a": ["train", "test"], "b": ["train"], "rejected": ["train"]}
    assert [c["config_name"] for c in head["configs"] if c.get("default")] == ["a"]
    assert {"tool-use", "function-calling", "synthetic"} <= set(head["tags"]) and head["size_categories"] == ["n<1K"]
    assert head["license"] and head["pretty_name"] == "r" and head["task_categories"]
