"""One call a model made, executed the way every method executes calls."""

import json

import pytest

from builders.methods.calls import execute
from builders.tools import environment, resolve_tools
from sandbox import Limits, Sandbox


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=5)) as box:
        yield box


@pytest.fixture
def tools(tmp_path):
    path = tmp_path / "big.py"
    path.write_text('def numbers(n: int) -> list:\n    """The numbers 0 to n-1.\n\n    Args:\n'
                    '        n: how many\n    """\n    return list(range(n))\n')
    return {t.name: t for t in resolve_tools([{"python": str(path)}, "calculator"], source="t")}


def test_a_long_observation_is_cut_at_a_value_with_a_mark(box, tools):
    call = execute(tools, environment.Episode(box), "numbers", {"n": 5000})
    assert call.status == "ok" and call.observation_cut
    value = json.loads(call.observation)  # still JSON
    assert value[:3] == [0, 1, 2] and "more items cut" in value[-1]
    short = execute(tools, environment.Episode(box), "numbers", {"n": 3})
    assert short.observation == "[0, 1, 2]" and not short.observation_cut


def test_invalid_and_failing_calls_keep_their_reasons(box, tools):
    invalid = execute(tools, environment.Episode(box), "calculator", {"expr": "1"})
    assert invalid.status == "invalid" and invalid.reason == "unexpected_argument"
    failed = execute(tools, environment.Episode(box), "calculator", {"expression": "1/0"})
    assert failed.status == "error" and failed.reason == "execution_error" and "division by zero" in failed.observation
