"""The coverage report and its plot: figures per tool counted from real Parquet, error cases from the
calls' reasons, the PNG beside the dataset and in the card, `toolmint report`, and the eval's
in-context mode over a real STE dataset's bank (scripted student)."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb

from builders.dataset.coverage import PLOT, coverage
from builders.dataset.plot import draw
from builders.dataset.shards import write_json, write_shard
from builders.evaluation.evaluate import evaluate
from builders.evaluation.gold import from_dataset
from builders.evaluation.student import Reply, read_bank
from builders.methods.ste.records import Example
from builders.record import Call, Rejected
from tests.evaluation.test_gold import example
from tests.methods.ste.test_pipeline import build, own_cache  # noqa: F401 - its fixture: a cache per test

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_draws_its_coverage_and_the_card_shows_it(tmp_path):
    out = tmp_path / "out"
    manifest = build(out)
    con = duckdb.connect()
    accepted = con.execute(f"SELECT count(*) FROM '{out}/ste_sft/*.parquet'").fetchone()[0]
    rejected = con.execute(f"SELECT count(*) FROM '{out}/rejected/*.parquet' WHERE kind = 'ste_sft'").fetchone()[0]
    calc = manifest["coverage"]["calculator"]
    assert (calc["accepted"], calc["rejected"], calc["requests"]) == (accepted, rejected, accepted + rejected)
    assert calc["parameters_used"] == [1, 1] and calc["distinct_calls"] == manifest["diversity"]["rows"]
    png = (out / PLOT).read_bytes()
    assert manifest["coverage_plot"] == PLOT and png.startswith(b"\x89PNG\r\n\x1a\n")
    card = (out / "README.md").read_text()
    assert f"![acceptance and coverage per tool]({PLOT})" in card
    assert f"| calculator | {accepted + rejected} | {accepted} |" in card
    assert draw(coverage(out), tmp_path) and (tmp_path / PLOT).read_bytes() == png   # same figures, same bytes
    build(out)   # a re-run resumes beside its own plot
    assert (out / PLOT).read_bytes() == png


def test_error_cases_and_rejections_are_counted_per_tool(tmp_path):
    failed = Call(name="calculator", arguments={"expression": "6x7"}, status="error", reason="execution_error")
    ok = Call(name="calculator", arguments={"expression": "6*7"}, status="ok", observation="42")
    row = replace(example(1, "train", "What is 6 times 7?", "6*7"), trials=[failed, ok])
    write_shard(tmp_path, Example, "train", 0, 1, [row])
    bad = replace(example(2, "train", "What is 1 plus 1?", "1+1"), accepted=False, reasons=["answer_ungrounded"],
                  trials=[Call(name="calculator", arguments={}, status="invalid", reason="missing_required"), ok])
    write_shard(tmp_path, Rejected, "train", 0, 1, [Rejected.of(bad)])
    write_json(tmp_path / "manifest.json", {"recipe": "hand", "configs": {"ste_sft": {"train": 1}, "rejected": {"train": 1}},
                                            "tools": [{"name": "calculator"}, {"name": "idle"}],
                                            "rejected_by_reason": {"answer_ungrounded": 1}, "summary": {}})
    report = coverage(tmp_path)
    calc = report["tools"]["calculator"]
    assert (calc["requests"], calc["accepted"], calc["rejected"], calc["acceptance"]) == (2, 1, 1, 0.5)
    assert calc["errors"] == {"execution_error": 1, "missing_required": 1}
    assert report["tools"]["idle"]["requests"] == 0
    done = subprocess.run([sys.executable, "-m", "builders.cli", "report", str(tmp_path)], capture_output=True,
                          text=True, cwd=ROOT, env={"COLUMNS": "200", "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "execution_error 1, missing_required 1" in done.stdout and "answer_ungrounded" in done.stdout
    assert (tmp_path / PLOT).is_file()
    done = subprocess.run([sys.executable, "-m", "builders.cli", "report", str(tmp_path / "none")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "no manifest.json" in done.stderr and "Traceback" not in done.stderr


class Echo:
    """A student that calls the calculator with the numbers of the last request, and keeps its prompts."""

    def __init__(self):
        self.seen = []

    def answer(self, messages, tools):
        self.seen.append((messages, tools))
        nums = [w.strip(",?.") for w in messages[-1]["content"].split() if w.strip(",?.").isdigit()]
        return Reply(text=json.dumps({"name": "calculator", "arguments": {"expression": "*".join(nums)}}))


def test_eval_on_a_real_test_split_with_its_bank(tmp_path):
    out = tmp_path / "out"
    build(out)
    items, bank = from_dataset(out), read_bank(out)
    test_ids = {r[0] for r in duckdb.sql(f"SELECT id FROM '{out}/ste_sft/test-*.parquet'").fetchall()}
    assert {it.id for it in items} == test_ids and items
    assert all(d["split"] == "train" for d in bank)
    student = Echo()
    zero = evaluate(items, student)
    assert all(v.demonstrations == [] for v in zero) and len(student.seen[0][0]) == 1
    icl = evaluate(items, student, bank=bank, k=2)
    messages = student.seen[-1][0]
    assert len(icl[-1].demonstrations) == 2 and [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].count("\nCall: {\"name\": \"calculator\"") == 2   # the demonstrations, as text
    assert messages[-1]["content"] == items[-1].request
    assert not set(icl[-1].demonstrations) & {f"icl-{i}" for i in test_ids}   # never a held-out example
    # the seed queries multiply two numbers: the echo's calls are right, whatever the mode
    seeds = [v for v in zero if v.category == "seed"]
    assert seeds and all(v.argument_match for v in seeds)
