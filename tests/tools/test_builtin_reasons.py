import pytest

from builders.tools import builtin_tools, validate_arguments
from builders.tools.builtin import calculator, convert_units, date_arithmetic


def test_calculator():
    assert calculator("(12.5 * 4) / 5") == 10
    assert calculator("2^10") == 1024
    assert calculator("sqrt(16) + abs(-2)") == 6
    assert round(calculator("pi"), 5) == 3.14159
    for bad in ("1/0", "__import__('os')", "2 3", "10**10**10"):
        with pytest.raises(ValueError):
            calculator(bad)


def test_convert_units():
    assert convert_units(1, "km", "m") == {"value": 1000.0, "unit": "m", "dimension": "length"}
    assert convert_units(100, "C", "F")["value"] == 212.0
    assert convert_units(0, "K", "C")["value"] == -273.15
    assert convert_units(1, "lb", "g")["value"] == pytest.approx(453.59237)
    with pytest.raises(ValueError, match="different dimensions"):
        convert_units(1, "kg", "m")


def test_date_arithmetic():
    assert date_arithmetic("2024-02-27", days=3) == {"start": "2024-02-27", "days_added": 3, "date": "2024-03-01",
                                                     "weekday": "Friday"}
    assert date_arithmetic("2024-01-01", end="2024-12-25")["days_between"] == 359
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        date_arithmetic("01/02/2024", days=1)


def test_argument_validation_reason_codes():
    tools = builtin_tools()
    conv = tools["convert_units"]
    assert validate_arguments(conv, {"value": 1, "from_unit": "km", "to_unit": "m"}) == []
    codes = lambda args: [e.reason for e in validate_arguments(conv, args)]  # noqa: E731
    assert codes({"value": 1, "from_unit": "km"}) == ["missing_required"]
    assert codes({"value": "1", "from_unit": "km", "to_unit": "m"}) == ["wrong_type"]
    assert codes({"value": 1, "from_unit": "parsec", "to_unit": "m"}) == ["enum_violation"]
    assert codes({"value": 1, "from_unit": "km", "to_unit": "m", "x": 1}) == ["unexpected_argument"]
    assert [e.reason for e in validate_arguments(None, {}, "nope")] == ["unknown_tool"]
    assert [e.reason for e in validate_arguments(tools["date_arithmetic"], {"start": "2024-13-45"})] == ["invalid_arguments"]


def test_every_builtin_runs_in_the_sandbox():
    from sandbox import Sandbox

    examples = {"calculator": {"expression": "1+1"}, "convert_units": {"value": 1, "from_unit": "h", "to_unit": "min"},
                "date_arithmetic": {"start": "2020-01-01", "days": 1}}
    with Sandbox() as box:
        for name, arguments in examples.items():
            result = box.call_tool(builtin_tools()[name].target, arguments)
            assert result["status"] == "ok", result
        assert box.call_tool(builtin_tools()["calculator"].target, {"expression": "1/0"})["status"] == "error"
