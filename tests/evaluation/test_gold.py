"""Gold sets: a user's JSONL (and its mistakes, named by file, line and field), BFCL's files from the
installed wheel, a toolmint dataset's test split written as real Parquet."""

import json

import pytest

from builders.dataset.shards import write_shard
from builders.errors import UserError
from builders.evaluation import bfcl
from builders.evaluation.gold import from_dataset, from_jsonl
from builders.evaluation.matching import match_calls
from builders.evaluation.student import read_bank, with_demonstrations
from builders.methods.ste.records import Demonstration, Example
from builders.tools import builtin_tools

CALC = builtin_tools()["calculator"].spec()


def write(path, *lines):
    path.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n")
    return path


def test_jsonl_items_with_plain_calls_or_bfcl_ground_truth(tmp_path):
    path = write(tmp_path / "gold.jsonl",
                 {"id": "a", "request": "6 times 7?", "tools": ["calculator"],
                  "calls": [{"name": "calculator", "arguments": {"expression": "6*7"}}]},
                 {"request": "hi", "tools": [CALC], "calls": []},
                 {"request": "6 times 7?", "tools": [CALC], "ground_truth": [{"calculator": {"expression": ["6*7", "7*6"]}}]})
    a, b, c = from_jsonl(path, {"calculator": CALC})
    assert a.id == "a" and a.request == "6 times 7?" and a.calls[0]["name"] == "calculator"
    assert b.id == "line-2" and b.answers == []
    assert match_calls([{"name": "calculator", "arguments": {"expression": "7*6"}}], c.answers, {"calculator": CALC}) is None


@pytest.mark.parametrize("line, message", [
    ("{not json", "gold.jsonl:1: not JSON"),
    ({"tools": [CALC], "calls": []}, "gold.jsonl:1: request: missing"),
    ({"request": "x", "tools": ["nope"], "calls": []}, "gold.jsonl:1: tools[0]: unknown tool 'nope'"),
    ({"request": "x", "tools": [CALC]}, "gold.jsonl:1: calls: missing"),
    ({"request": "x", "tools": [CALC], "calls": [{"name": "other", "arguments": {}}]},
     "gold.jsonl:1: calls[0].name: 'other' is not one of the item's tools"),
    ({"request": "x", "tools": [CALC], "calls": [{"name": "calculator", "arguments": "6*7"}]}, "gold.jsonl:1: calls[0]:"),
])
def test_a_bad_line_is_named_with_its_field(tmp_path, line, message):
    with pytest.raises(UserError) as err:
        from_jsonl(write(tmp_path / "gold.jsonl", line))
    assert message in str(err.value)


def test_a_missing_gold_file_is_named(tmp_path):
    with pytest.raises(UserError, match="missing.jsonl: cannot read the gold file"):
        from_jsonl(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("name, count", [("simple_python", 400), ("multiple", 200), ("parallel", 200),
                                         ("parallel_multiple", 200), ("irrelevance", 240)])
def test_bfcl_sets_from_the_wheel(name, count):
    items = bfcl.load(name)
    assert len(items) == count
    assert all(it.tools and it.request for it in items)
    assert all(bool(it.answers) == (name != "irrelevance") for it in items)


def test_bfcl_types_become_json_schema_and_its_answers_match():
    first = bfcl.load("simple_python")[0]
    assert first.tools[0]["parameters"]["type"] == "object"
    right = [{"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}]
    assert match_calls(right, first.answers, {t["name"]: t for t in first.tools}) is None
    assert bfcl.to_schema({"type": "dict", "properties": {"x": {"type": "float"}, "y": {"type": "any"},
                                                          "z": {"type": "tuple", "items": {"type": "float"}}}}) == \
        {"type": "object", "properties": {"x": {"type": "number"}, "y": {}, "z": {"type": "array", "items": {"type": "number"}}}}


def test_an_unknown_bfcl_set_is_refused():
    with pytest.raises(UserError, match="bfcl:nope: unknown BFCL set"):
        bfcl.load("nope")


def example(i, split, query, expression, paraphrase_of=""):
    call_id = f"c{i:08d}"
    messages = [{"role": "user", "content": query},
                {"role": "assistant", "content": "", "tool_calls": [{"id": call_id, "type": "function", "function": {
                    "name": "calculator", "arguments": {"expression": expression}}}]},
                {"role": "tool", "tool_call_id": call_id, "name": "calculator", "content": "42"},
                {"role": "assistant", "content": "It is 42."}]
    return Example(id=f"r{i}", group=f"g{i}", split=split, accepted=True, tool_name="calculator", query=query,
                   action="calculator", action_input={"expression": expression}, observation="42",
                   final_answer="It is 42.", messages=messages, tools=[{"type": "function", "function": CALC}],
                   paraphrase_of=paraphrase_of)


def test_a_dataset_test_split_and_its_bank(tmp_path):
    train = [example(1, "train", "What is 6 times 7?", "6*7"), example(2, "train", "Add 40 and 2", "40+2")]
    test = [example(3, "test", "Multiply 21 by 2", "21*2"), example(4, "test", "What's 21 times 2?", "21*2", "r3")]
    write_shard(tmp_path, Example, "train", 0, 1, train)
    write_shard(tmp_path, Example, "test", 0, 1, test)
    write_shard(tmp_path, Demonstration, "train", 0, 1, [
        Demonstration(id=f"icl-{e.id}", source_id=e.id, api_name="calculator", query=e.query, key=["x"],
                      demonstration="…", messages=e.messages) for e in train])
    items = from_dataset(tmp_path)
    assert [(it.id, it.category, it.request) for it in items] == [
        ("r3", "seed", "Multiply 21 by 2"), ("r4", "paraphrase", "What's 21 times 2?")]
    assert items[0].messages == [{"role": "user", "content": "Multiply 21 by 2"}]
    assert items[0].answers == [{"calculator": {"expression": ["21*2"]}}]
    bank = read_bank(tmp_path)
    assert [d["source_id"] for d in bank] == ["r1", "r2"] and bank[0]["tools"][0]["function"]["name"] == "calculator"
    messages, tools = with_demonstrations(items[0].messages, items[0].tools, bank[:1])
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].endswith('Request: What is 6 times 7?\nCall: '
                                           '{"name": "calculator", "arguments": {"expression": "6*7"}}')
    assert [t["name"] for t in tools] == ["calculator"]
    with pytest.raises(UserError, match="no ste_sft/validation"):
        from_dataset(tmp_path, "validation")
