"""`toolmint eval` as a user runs it: bad input named without a traceback (exit 2), and a real run of
the 0.5B model through its own chat template, zero-shot and with demonstrations from a real bank,
its verdicts read back with DuckDB."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.evaluation.test_gold import CALC, example, write
from builders.dataset.shards import write_shard
from builders.methods.ste.records import Demonstration, Example

ROOT = Path(__file__).resolve().parents[2]


def toolmint(*args, timeout=900):
    """This checkout's CLI (the installed script may import another checkout's code)."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "builders.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env=env)


@pytest.mark.parametrize("args, message", [
    (["missing.jsonl"], "missing.jsonl: no such gold file or dataset folder"),
    (["bfcl:nope"], "bfcl:nope: unknown BFCL set"),
    (["{gold}", "--model", "nowhere/x.gguf"], "nowhere/x.gguf"),
    (["{bad}"], "bad.jsonl:2: calls: missing"),
    (["{gold}", "--k", "0", "--icl", "x"], "--k: 0 is less than the minimum of 1"),
    (["{gold}", "--icl", "{tmp}"], "no ste_icl/train-*.parquet"),
])
def test_bad_input_is_named_without_a_traceback(tmp_path, args, message):
    gold = write(tmp_path / "gold.jsonl", {"request": "6 times 7?", "tools": [CALC],
                                           "calls": [{"name": "calculator", "arguments": {"expression": "6*7"}}]})
    bad = write(tmp_path / "bad.jsonl", {"request": "x", "tools": [CALC], "calls": []}, {"request": "y", "tools": [CALC]})
    args = [a.format(gold=gold, bad=bad, tmp=tmp_path) for a in args]
    done = toolmint("eval", *args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.model
def test_a_real_model_zero_shot_and_in_context(tmp_path):
    train = [example(1, "train", "What is 6 times 7?", "6*7"), example(2, "train", "Add 40 and 2", "40+2")]
    write_shard(tmp_path / "data", Example, "train", 0, 1, train)
    write_shard(tmp_path / "data", Example, "test", 0, 1, [example(3, "test", "Multiply 21 by 2", "21*2")])
    write_shard(tmp_path / "data", Demonstration, "train", 0, 1, [
        Demonstration(id=f"icl-{e.id}", source_id=e.id, api_name="calculator", query=e.query, key=["times"],
                      demonstration="…", messages=e.messages) for e in train])
    gold = write(tmp_path / "gold.jsonl",
                 {"id": "calc", "request": "Use the calculator: what is 12 times 12?", "tools": ["calculator"],
                  "calls": [{"name": "calculator", "arguments": {"expression": "12*12"}}]},
                 {"id": "units", "request": "Convert 3 miles to kilometres.", "tools": ["calculator", "convert_units"],
                  "calls": [{"name": "convert_units", "arguments": {"value": 3, "from_unit": "mi", "to_unit": "km"}}]})
    common = ["--model", "package:qwen2.5-coder-0.5b-instruct", "--max-tokens", "64"]
    done = toolmint("eval", str(gold), "--tools", "calculator", "convert_units", "--out", str(tmp_path / "zero"), *common)
    assert done.returncode == 0, done.stderr
    assert "argument match" in done.stdout and "zero-shot" in done.stdout
    summary = json.loads((tmp_path / "zero" / "summary.json").read_text())
    assert summary["figures"]["items"] == 2 and summary["mode"] == "zero-shot"
    assert 0 < summary["wall_seconds"] and summary["sequences"] == 8
    rows = duckdb.sql(f"SELECT id, well_formed, tool_match, argument_match, execution_match, reply "
                      f"FROM '{tmp_path / 'zero' / 'verdicts.parquet'}' ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["calc", "units"]
    assert all(r[5] for r in rows)                       # the model said something
    assert any(r[1] for r in rows)                       # and called a tool in a shape we read
    # the argument and execution verdicts agree with a call run here again
    for r in rows:
        assert r[3] is False or r[4] in (True, None)

    done = toolmint("eval", str(tmp_path / "data"), "--icl", str(tmp_path / "data"), "--k", "2",
                    "--out", str(tmp_path / "icl"), *common)
    assert done.returncode == 0, done.stderr
    assert "icl k=2" in done.stdout
    shown = duckdb.sql(f"SELECT demonstrations, prompt_tokens FROM '{tmp_path / 'icl' / 'verdicts.parquet'}'").fetchall()
    assert shown[0][0] == ["icl-r1", "icl-r2"] and shown[0][1] > 100


@pytest.mark.model
def test_replies_do_not_depend_on_how_many_items_are_decoded_together(tmp_path):
    """BFCL items answered one at a time and four at a time in one llama.cpp context: each item is
    evaluated from an empty sequence, so its greedy reply is the same either way."""
    replies = {}
    for n in (1, 4):
        done = toolmint("eval", "bfcl:simple_python", "--limit", "6", "--max-tokens", "48", "--sequences", str(n),
                        "--model", "package:qwen2.5-coder-0.5b-instruct", "--out", str(tmp_path / str(n)))
        assert done.returncode == 0, done.stderr
        assert f"{n} sequence" in done.stdout
        replies[n] = duckdb.sql(f"SELECT id, reply FROM '{tmp_path / str(n) / 'verdicts.parquet'}' ORDER BY id").fetchall()
    assert len(replies[1]) == 6 and all(r[1] for r in replies[1])
    assert replies[1] == replies[4]
