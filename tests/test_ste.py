"""STE stage logic with a scripted LLM and the real sandbox."""

import json

import pytest

from builders import ste
from builders.judge import copies_doc, grounded, judge
from builders.tools import builtin_tools
from sandbox import Limits, Sandbox
from tests.scripted import ScriptedLLM

SETTINGS = {"name": "ste", "episodes": 1, "queries_per_episode": 1, "max_calls_per_query": 2,
            "temperature": 0.7, "max_tokens": 160}


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


def context(llm, box, **settings):
    return ste.Context(engine=llm, sandbox=box, tools=builtin_tools(), settings={**SETTINGS, **settings},
                       provenance={"run_hash": "h", "recipe": "r", "model": "m", "model_sha256": "0" * 64})


def episode(tool="calculator"):
    return ste.Episode(tool, 0, ste.episode_seed(0, tool, 0))


def test_a_query_that_calls_and_answers_is_accepted(box):
    llm = ScriptedLLM([{"query": "What is 12 times 7, minus 4?"},
                       {"name": "calculator", "arguments": {"expression": "12*7-4"}},
                       "12 times 7 minus 4 is 80."])
    [traj] = ste.run_episode(context(llm, box), episode())
    judge(traj)
    assert traj["accepted"], traj["reasons"]
    assert traj["observation"] == "80" and traj["action"] == "calculator"
    assert json.loads(traj["action_input"]) == {"expression": "12*7-4"}
    roles = [m["role"] for m in traj["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert traj["messages"][1]["tool_calls"] == [{"name": "calculator", "arguments": traj["action_input"]}]
    assert traj["model_sha256"] == "0" * 64 and traj["tool_version"] == "1"
    assert llm.calls[1]["schema"]["properties"]["name"] == {"const": "calculator"}


def test_a_failed_call_is_corrected_from_its_error(box):
    llm = ScriptedLLM([{"query": "Divide 10 by zero, then try 10 by 4"},
                       {"name": "calculator", "arguments": {"expression": "10/0"}},
                       {"name": "calculator", "arguments": {"expression": "10/4"}},
                       "10 divided by 4 is 2.5."])
    [traj] = ste.run_episode(context(llm, box), episode())
    judge(traj)
    assert traj["accepted"]
    assert [t["status"] for t in traj["trials"]] == ["error", "ok"]
    assert "division by zero" in traj["trials"][0]["observation"]
    # the retry prompt showed the model its own error
    assert "division by zero" in llm.calls[2]["messages"][-1]["content"]


def test_invalid_arguments_never_reach_the_sandbox():
    class NoSandbox:
        def call_tool(self, *a, **k):
            raise AssertionError("invalid arguments must not run")

    llm = ScriptedLLM([{"query": "Convert 5 parsecs to metres"},
                       {"name": "convert_units", "arguments": {"value": 5, "from_unit": "parsec", "to_unit": "m"}}])
    [traj] = ste.run_episode(context(llm, NoSandbox(), max_calls_per_query=1), episode("convert_units"))
    judge(traj)
    assert not traj["accepted"] and traj["reasons"] == ["enum_violation"]
    assert traj["trials"][0]["status"] == "invalid"


def test_unknown_tool_and_missing_argument_reasons(box):
    llm = ScriptedLLM([{"query": "What day is 10 days after 2024-02-25?"},
                       {"name": "weather", "arguments": {}},
                       {"name": "date_arithmetic", "arguments": {"days": 10}}])
    [traj] = ste.run_episode(context(llm, box), episode("date_arithmetic"))
    judge(traj)
    assert [t["reason"] for t in traj["trials"]] == ["unknown_tool", "missing_required"]
    assert traj["reasons"] == ["missing_required"]


def test_timeouts_are_rejected_with_their_reason():
    class SlowSandbox:
        def call_tool(self, target, arguments, **kw):
            return {"status": "timeout", "message": "wall time limit of 3s exceeded", "wall_ms": 3000.0}

    llm = ScriptedLLM([{"query": "Compute 2 to the 10th"}, {"name": "calculator", "arguments": {"expression": "2**10"}}])
    [traj] = ste.run_episode(context(llm, SlowSandbox(), max_calls_per_query=1), episode())
    judge(traj)
    assert traj["reasons"] == ["timeout"] and traj["trials"][0]["status"] == "timeout"


def test_malformed_model_output_is_rejected(box):
    llm = ScriptedLLM(['{"query": "What is 2+'])  # cut off by max_tokens
    [traj] = ste.run_episode(context(llm, box), episode())
    judge(traj)
    assert traj["reasons"] == ["malformed_output"] and traj["messages"] == []


def test_empty_and_ungrounded_answers_are_rejected(box):
    base = [{"query": "What is 6*7?"}, {"name": "calculator", "arguments": {"expression": "6*7"}}]
    [empty] = ste.run_episode(context(ScriptedLLM([*base, "   "]), box), episode())
    [made_up] = ste.run_episode(context(ScriptedLLM([*base, "It is 41."]), box), episode())
    assert judge(empty)["reasons"] == ["empty_answer"]
    assert judge(made_up)["reasons"] == ["answer_ungrounded"]


def test_short_term_memory_shows_earlier_queries_of_the_episode(box):
    llm = ScriptedLLM([{"query": "What is 3+4?"}, {"name": "calculator", "arguments": {"expression": "3+4"}}, "7",
                       {"query": "What is sqrt(81)?"}, {"name": "calculator", "arguments": {"expression": "sqrt(81)"}}, "9"])
    trajs = ste.run_episode(context(llm, box, queries_per_episode=2), episode())
    assert [t["query"] for t in trajs] == ["What is 3+4?", "What is sqrt(81)?"]
    assert "What is 3+4?" in llm.calls[3]["messages"][-1]["content"]
    assert "What is 3+4?" not in llm.calls[0]["messages"][-1]["content"]
    assert len({t["id"] for t in trajs}) == 2


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
    [traj] = ste.run_episode(context(llm, box), episode("convert_units"))
    assert judge(traj)["reasons"] == ["query_copies_doc"]
    assert not copies_doc("How many metres are in 3 miles?", traj["tools"])
    assert copies_doc("please run convert_units on 3 mi", traj["tools"])


def test_seeds_are_stable_and_distinct():
    assert ste.episode_seed(0, "calculator", 1) == ste.episode_seed(0, "calculator", 1)
    assert len({ste.episode_seed(s, t, i) for s in (0, 1) for t in ("a", "b") for i in range(5)}) == 20


def test_a_stateful_environment_lives_as_long_as_its_episode(box):
    from builders.tools import resolve_tools

    tools = {t.name: t for t in resolve_tools([{"python": "recipes/tools/workshop.py"}], source="test")}
    assert tools["write_file"].environment and tools["write_file"].environment == tools["read_file"].environment

    def script():
        return ScriptedLLM([{"query": "Save 'milk, eggs' as /shopping.txt"},
                            {"name": "write_file", "arguments": {"path": "/shopping.txt", "text": "milk, eggs"}},
                            "Saved 10 characters.",
                            {"query": "What is in /shopping.txt?"},
                            {"name": "read_file", "arguments": {"path": "/shopping.txt"}},
                            "It says milk, eggs."])

    def ctx(llm, queries):
        return ste.Context(engine=llm, sandbox=box, tools=tools,
                           settings={**SETTINGS, "queries_per_episode": queries, "max_calls_per_query": 1})

    llm = script()
    first = ste.run_episode(ctx(llm, 2), ste.Episode("write_file", 0, 1))
    assert [t["trials"][0]["status"] for t in first] == ["ok", "ok"]
    assert first[1]["observation"] == '"milk, eggs"'  # the second query saw the first one's file
    # an episode of one method offers the model its environment's other methods too
    offered = {o["properties"]["name"]["const"] for o in llm.calls[1]["schema"]["anyOf"]}
    assert offered == {"write_file", "read_file", "list_files", "delete_file"}
    # a new episode starts from a fresh instance: the file is gone
    llm = ScriptedLLM([{"query": "What is in /shopping.txt?"},
                       {"name": "read_file", "arguments": {"path": "/shopping.txt"}}])
    [again] = ste.run_episode(ctx(llm, 1), ste.Episode("read_file", 1, 2))
    assert again["trials"][0]["status"] == "error" and again["reasons"] == ["execution_error"]
