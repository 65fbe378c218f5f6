"""α-UMi episodes with a scripted LLM against the REAL sandbox and built-in tools."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from builders.methods.roles import Roles, rows
from builders.methods.roles.episode import run_episode
from builders.methods.roles.invariants import row_problems
from builders.methods.roles.records import Trajectory
from builders.tools import builtin_tools, load_toolset
from sandbox import Limits, Sandbox
from tests.methods.roles_helpers import context, judged, unit
from tests.scripted import ScriptedLLM

TOOLS = builtin_tools()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(Limits(wall_s=5)) as box:
        yield box


def first_result(messages) -> float:
    """The number the first successful call returned, read from the prompt the caller was shown."""
    line = next(l for l in messages[-1]["content"].splitlines() if l.startswith("2. convert_units"))
    return json.loads(line.split("-> ", 1)[1])["value"]


def concluded_script():
    return ScriptedLLM([
        {"query": "Convert 5 km to miles, then multiply that distance by 3 for my weekly runs."},
        {"thought": "First I convert 5 km to miles.", "next": "caller"},
        {"name": "convert_units", "arguments": {"value": 5, "from_unit": "km", "to_unit": "parsec"}},
        {"thought": "The unit was not accepted, so I use mi instead.", "next": "caller"},
        {"name": "convert_units", "arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"}},
        {"thought": "Now I multiply the miles by 3.", "next": "caller"},
        lambda messages, schema: json.dumps({"name": "calculator",
                                             "arguments": {"expression": f"{first_result(messages)} * 3"}}),
        {"thought": "Both results are known, so I can answer.", "next": "conclusion"},
        {"answer": "5 km is 3.106856 miles, so three runs make 9.320568 miles."},
    ])


def test_failed_then_corrected_call_concludes_and_slices(sandbox):
    llm = concluded_script()
    ctx = context(llm, sandbox, TOOLS, max_steps=6)
    traj = judged(run_episode(ctx, unit("cross_domain", ["calculator", "convert_units"]), []))
    assert traj.accepted, (traj.reasons, traj.steps)
    assert traj.outcome == "conclusion" and not llm.replies
    statuses = [s.status for s in traj.steps if s.next == "caller"]
    assert statuses == ["invalid", "ok", "ok"]                      # every call executed (or refused by schema)
    assert "parsec" in traj.steps[0].observation                    # the error was kept …
    assert "ERROR: invalid arguments" in llm.calls[3]["messages"][-1]["content"]  # … and shown back to the planner
    assert abs(json.loads(traj.steps[2].observation) - 9.320568) < 1e-6
    # the grammar narrows the planner's choices: call first; give up only after a failure; once both parts of
    # the request are served, conclude
    enums = [c["schema"]["properties"]["next"]["enum"] for c in llm.calls if "thought" in json.dumps(c["schema"])]
    assert enums == [["caller"], ["caller", "give up"], ["caller"], ["conclusion"]]
    # the planner is shown the parts of the request no call has served yet; none once it must conclude
    plans = [c["messages"][-1]["content"] for c in llm.calls if "thought" in json.dumps(c["schema"])]
    assert "still to do:\n- Convert 5 km to miles\n- multiply that distance by 3" in plans[0]
    assert "still to do:\n- multiply that distance by 3 for my weekly runs\n" in plans[2]
    assert "still to do" not in plans[3]
    # the chat form keeps the training path only: the two calls that ran, then the answer
    assert [m["role"] for m in traj.messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert traj.messages[1]["tool_calls"][0]["function"]["arguments"]["to_unit"] == "mi"

    derived = [judged(r) for r in Roles().derive([traj], ctx)]
    by_role = {}
    for r in derived:
        by_role.setdefault(r.role, []).append(r)
        assert r.accepted and not row_problems(r.umi(), r.role, r.tools)
        assert r.split == traj.split and r.group == traj.group
    assert {k: len(v) for k, v in by_role.items()} == {"planner": 4, "backbone": 3, "caller": 2, "summarizer": 1}
    assert all("parsec" not in r.target for r in by_role["caller"] + by_role["backbone"])  # failed call: history only
    assert "parsec" in by_role["caller"][0].input                   # … where the caller sees its error
    assert [r.target.rsplit("\n", 1)[1] for r in by_role["planner"]] == [" Next: caller."] * 3 + [" Next: conclusion."]
    assert by_role["summarizer"][0].target == traj.final_answer
    assert by_role["caller"][1].messages[-1]["tool_calls"][0]["function"]["name"] == "calculator"


def test_give_up_after_failures_is_kept_as_give_up(sandbox):
    llm = ScriptedLLM([
        {"query": "Show me the articles kb-999 and kb-998 from the help center, one after the other."},
        {"thought": "I read article kb-999 first.", "next": "caller"},
        {"name": "get_article", "arguments": {"article_id": "kb-999"}},
        {"thought": "That article does not exist; I try kb-998.", "next": "caller"},
        {"name": "get_article", "arguments": {"article_id": "kb-998"}},
        {"thought": "Neither article exists, the tool cannot serve this.", "next": "give up"},
    ])
    ctx = context(llm, sandbox, TOOLS, max_steps=5)
    traj = judged(run_episode(ctx, unit("one_tool", ["get_article"]), []))
    assert traj.accepted, traj.reasons
    assert traj.outcome == "give_up" and [s.status for s in traj.steps if s.name] == ["error", "error"]
    assert "no article 'kb-999'" in traj.steps[0].observation
    assert [m["role"] for m in traj.messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    derived = list(Roles().derive([traj], ctx))
    roles = [r.role for r in derived]
    assert roles.count("caller") == 0 and roles.count("summarizer") == 0   # no call ran: nothing to imitate
    assert derived[-1].role == "backbone" and derived[-1].target.endswith("\nconclusion: give up.")
    give_up = [r for r in derived if r.role == "planner"][-1].target
    assert give_up.endswith(" Next: give up.")
    assert give_up.startswith("The call to get_article failed twice in a row (last error: ")   # said plainly
    assert "no article 'kb-998'" in give_up and "cannot serve this request" in give_up
    assert traj.final_answer.startswith("Sorry, I could not complete this request: get_article failed (")
    assert all(not row_problems(r.umi(), r.role, r.tools) for r in derived)


def test_give_up_after_one_failure_is_rejected(sandbox):
    llm = ScriptedLLM([
        {"query": "Show me the help center article kb-999 and summarise it for me."},
        {"thought": "I read article kb-999 first.", "next": "caller"},
        {"name": "get_article", "arguments": {"article_id": "kb-999"}},
        {"thought": "It failed, I cannot do this.", "next": "give up"},
    ])
    traj = judged(run_episode(context(llm, sandbox, TOOLS, max_steps=2), unit("one_tool", ["get_article"]), []))
    assert llm.calls[-1]["schema"]["properties"]["next"]["enum"] == ["give up"]  # the step limit forces the end
    assert not traj.accepted and traj.reasons == ["give_up_unjustified"]
    assert list(Roles().derive([traj], None)) == []


def test_environment_state_is_shared_within_the_episode(sandbox):
    tools = load_toolset([{"python": "recipes/tools/workshop.py"}], "test").by_name()
    llm = ScriptedLLM([
        {"query": "Save the note 'buy milk' in /notes/todo.txt and then read that file back to me."},
        {"thought": "I write the note to the file.", "next": "caller"},
        {"name": "write_file", "arguments": {"path": "/notes/todo.txt", "text": "buy milk"}},
        {"thought": "Now I read the file back.", "next": "caller"},
        {"name": "read_file", "arguments": {"path": "/notes/todo.txt"}},
        {"thought": "The file holds the note, so I can answer.", "next": "conclusion"},
        {"answer": "The file /notes/todo.txt now holds your note: buy milk."},
    ])
    ctx = context(llm, sandbox, tools)
    traj = judged(run_episode(ctx, unit("environment", ["write_file", "read_file"]), []))
    assert traj.steps[1].status == "ok" and json.loads(traj.steps[1].observation) == "buy milk"
    assert traj.accepted, traj.reasons


def test_malformed_call_is_recorded_not_dropped(sandbox):
    llm = ScriptedLLM([{"query": "What is 12 times 7, and then that result divided by 4?"},
                       {"thought": "I compute 12 times 7.", "next": "caller"}, "{not json"])
    traj = judged(run_episode(context(llm, sandbox, TOOLS), unit("one_tool", ["calculator"]), []))
    assert not traj.accepted and "malformed_output" in traj.reasons and traj.steps == []


def test_units_are_deterministic_and_cover_the_kinds():
    tools = list(TOOLS.values()) + list(load_toolset([{"python": "recipes/tools/workshop.py"}], "test").tools)

    class Recipe:
        seed = 3
        method = {"name": "roles", "episodes": 12, "tools_per_episode": 3}

    first, again = Roles().units(Recipe, tools), Roles().units(Recipe, tools)
    assert first == again and len(first) == 12
    assert {u.data["kind"] for u in first} == {"one_tool", "domain", "cross_domain", "environment"}
    by_name = {t.name: t for t in tools}
    for u in first:
        picked = [by_name[n] for n in u.data["tools"]]
        if u.data["kind"] == "domain":
            assert len({t.domain for t in picked}) == 1 and len(picked) >= 2
        if u.data["kind"] == "cross_domain":
            assert len({t.domain for t in picked}) == len(picked) >= 2
        if u.data["kind"] == "environment":
            assert {t.environment for t in picked} == {"FileSystem"}
    Recipe.seed = 4
    assert Roles().units(Recipe, tools) != first


def test_split_is_by_trajectory():
    from builders.record import split_of

    ids = [f"run-roles-{i}" for i in range(200)]
    splits = [split_of(i, 0.2) for i in ids]
    assert 20 <= splits.count("test") <= 60
    traj = Trajectory(id=ids[0], group=ids[0], split=splits[0], kind="one_tool", query="q", outcome="conclusion")
    assert all(r.split == traj.split for r in rows.from_single_call(
        {"id": traj.id, "split": traj.split, "query": "What is 2 + 40?", "action": "calculator",
         "action_input": '{"expression": "2 + 40"}', "observation": "42", "final_answer": "It is 42."},
        [TOOLS["calculator"].spec()]))


@pytest.mark.parametrize("answer,reason", [
    ("5 km is 3.11 miles, so three runs make 9.32 miles.", None),                 # rounded: still faithful
    ("5 km is 3.106856 miles, so three runs make 12 miles.", "answer_unfaithful"),
    ('I called {"expression": "3.106856 * 3"} and got 9.320568.', "answer_recites_call"),
    ("The answer is the answer is the answer is the answer is the answer is the answer is", "answer_degenerate"),
    ("Three runs are a good distance for a week.", "answer_ungrounded"),
])
def test_answer_checks(sandbox, answer, reason):
    llm = concluded_script()
    llm.replies[-1] = {"answer": answer}
    traj = judged(run_episode(context(llm, sandbox, TOOLS), unit("cross_domain", ["calculator", "convert_units"]), []))
    assert traj.reasons == ([reason] if reason else [])


def test_invented_argument_and_repeated_call_are_rejected(sandbox):
    llm = concluded_script()
    llm.replies[6] = {"name": "calculator", "arguments": {"expression": "3.2 * 3"}}   # 3.2: in no result
    llm.replies[-1] = {"answer": "5 km is 3.106856 miles, so three runs make 9.6 miles."}
    traj = judged(run_episode(context(llm, sandbox, TOOLS), unit("cross_domain", ["calculator", "convert_units"]), []))
    assert "argument_unfounded" in traj.reasons

    llm = concluded_script()
    llm.replies[6] = {"name": "convert_units", "arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"}}
    llm.replies[-1] = {"answer": "5 km is 3.106856 miles."}
    traj = judged(run_episode(context(llm, sandbox, TOOLS), unit("cross_domain", ["calculator", "convert_units"]), []))
    assert "repeated_call" in traj.reasons


def test_a_thought_the_bound_cut_is_kept_to_its_whole_sentences(sandbox):
    llm = concluded_script()
    long = ("First I convert 5 km to miles with the units tool. Then I will multiply the miles by three, which "
            "gives the weekly distance that the request asks for, and after that I will check whether the.")
    llm.replies[1] = {"thought": long, "next": "caller"}
    traj = judged(run_episode(context(llm, sandbox, TOOLS), unit("cross_domain", ["calculator", "convert_units"]), []))
    assert traj.steps[0].thought == "First I convert 5 km to miles with the units tool."
    assert traj.accepted, traj.reasons


def test_a_repeated_call_is_sampled_again_and_recorded(sandbox):
    """Best of n: a call that repeats a successful one is discarded (kept in `candidates`) and sampled again."""
    llm = concluded_script()
    repeat = {"name": "convert_units", "arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"}}
    llm.replies.insert(6, repeat)
    traj = judged(run_episode(context(llm, sandbox, TOOLS, candidates=2),
                              unit("cross_domain", ["calculator", "convert_units"]), []))
    assert traj.accepted, traj.reasons
    assert traj.candidates == [{"stage": "caller", "text": json.dumps(repeat), "reasons": ["repeated_call"]}]
    assert [s.name for s in traj.steps if s.next == "caller"] == ["convert_units", "convert_units", "calculator"]
    sampled = [c for c in llm.calls if c["schema"] and "anyOf" in c["schema"]]
    assert sampled[-1]["seed"] != sampled[-2]["seed"] and sampled[-1]["temperature"] >= 0.7


def test_the_caller_grammar_copies_values_from_the_request_and_results(sandbox):
    llm = concluded_script()
    judged(run_episode(context(llm, sandbox, TOOLS), unit("cross_domain", ["calculator", "convert_units"]), []))
    schemas = [c["schema"] for c in llm.calls if c["schema"] and "anyOf" in c["schema"]]
    first = {o["properties"]["name"]["const"]: o["properties"]["arguments"] for o in schemas[0]["anyOf"]}
    assert first["convert_units"]["properties"]["value"]["enum"] == [5, 3]
    units = first["convert_units"]["properties"]["from_unit"]["enum"]
    assert {"km", "mi"} <= set(units) and "ft" not in units          # "weekly" names the unit week too
    last = {o["properties"]["name"]["const"]: o["properties"]["arguments"] for o in schemas[-1]["anyOf"]}
    assert "3[.]106856" in last["calculator"]["properties"]["expression"]["pattern"]   # an earlier result
    answer = [c["schema"] for c in llm.calls if "answer" in (c["schema"] or {}).get("properties", {})][0]
    assert "pattern" not in answer["properties"]["answer"]      # the summarizer writes its own sentence
    assert "3.106856" in llm.calls[-1]["messages"][-1]["content"]  # from the results it is shown


def test_a_request_without_values_is_sampled_again(sandbox):
    llm = concluded_script()
    llm.replies.insert(0, {"query": "Please help me with some conversions and some arithmetic today."})
    traj = judged(run_episode(context(llm, sandbox, TOOLS, candidates=2),
                              unit("cross_domain", ["convert_units", "calculator"]), []))
    assert traj.accepted, traj.reasons
    assert traj.query.startswith("Convert 5 km to miles")
    assert traj.candidates == [{"stage": "query", "text": "Please help me with some conversions and some arithmetic "
                                "today.", "reasons": ["query_lacks_values"]}]


def test_a_request_that_repeats_its_group_is_sampled_again_then_ends_the_episode(sandbox):
    """The 1.5B wrote "12 cups … Roman numerals" 14 times in one group: a request with the values of an
    earlier one is sampled again; when every candidate repeats, no planner or caller runs."""
    earlier = ["Convert 8 km to miles and then multiply that distance by 2."]
    llm = concluded_script()
    llm.replies.insert(0, {"query": "Convert 8 kilometers into miles, then multiply the result by 2."})
    traj = judged(run_episode(context(llm, sandbox, TOOLS, candidates=2),
                              unit("cross_domain", ["convert_units", "calculator"]), list(earlier)))
    assert traj.candidates[0]["reasons"] == ["query_repeated"]
    assert traj.query.startswith("Convert 5 km to miles, then") and traj.accepted, traj.reasons

    memory = list(earlier)
    llm = ScriptedLLM([{"query": "Convert 8 kilometers into miles, then multiply the result by 2."}] * 2)
    traj = judged(run_episode(context(llm, sandbox, TOOLS, candidates=2),
                              unit("cross_domain", ["convert_units", "calculator"]), memory))
    assert not traj.accepted and "query_repeated" in traj.reasons
    assert traj.steps == [] and not llm.replies and len(llm.calls) == 2   # two requests, nothing after
    assert memory[-1] == traj.query                                       # the next episode sees it too


def test_once_the_needs_are_met_the_planner_must_conclude(sandbox):
    """Issue 22's first trajectory: the weekday was in the first result. The planner is not offered another
    call (it added a day nobody asked for); one call is too few, so it is rejected without padding."""
    def script():
        return ScriptedLLM([
            {"query": "What is the date 4 days from 2024-01-05, and what is its weekday?"},
            {"thought": "I add 4 days to 2024-01-05.", "next": "caller"},
            {"name": "date_arithmetic", "arguments": {"start": "2024-01-05", "days": 4}},
            {"thought": "The result gives the date and its weekday.", "next": "conclusion"},
            {"answer": "4 days from 2024-01-05 is 2024-01-09, a Tuesday."},
        ])
    llm = script()
    traj = judged(run_episode(context(llm, sandbox, TOOLS), unit("one_tool", ["date_arithmetic"]), []))
    enums = [c["schema"]["properties"]["next"]["enum"] for c in llm.calls if "thought" in json.dumps(c["schema"])]
    assert enums == [["caller"], ["conclusion"]] and not llm.replies
    assert traj.reasons == ["too_few_calls"]
    ok = judged(run_episode(context(script(), sandbox, TOOLS, min_calls=1), unit("one_tool", ["date_arithmetic"]), []))
    assert ok.accepted, ok.reasons


def test_a_repeated_call_after_enough_calls_is_cut_and_the_planner_concludes(sandbox, monkeypatch):
    """The planner asks for a call that already ran: its results were complete, so the step is cut
    (kept in `candidates` as repeated_call_cut) and the planner is asked again, to conclude. (Needs
    detection is switched off here: it would have made the planner conclude one step earlier.)"""
    from builders.methods.roles import episode
    monkeypatch.setattr(episode, "coverage", lambda *a, **k: SimpleNamespace(met_at=None, unserved=[]))
    llm = ScriptedLLM([
        {"query": "Convert 5 km to miles, and work out 3.106856 times 3 for my weekly running plan."},
        {"thought": "First I convert 5 km to miles.", "next": "caller"},
        {"name": "convert_units", "arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"}},
        {"thought": "Now I multiply the miles by 3.", "next": "caller"},
        {"name": "calculator", "arguments": {"expression": "3.106856 * 3"}},
        {"thought": "I convert the distance once more to be sure.", "next": "caller"},
        {"name": "convert_units", "arguments": {"value": 5, "from_unit": "km", "to_unit": "mi"}},
        {"thought": "Both results are known, so I can answer.", "next": "conclusion"},
        {"answer": "5 km is 3.106856 miles, and three times that is 9.320568 miles."},
    ])
    traj = judged(run_episode(context(llm, sandbox, TOOLS, max_steps=6, min_calls=2),
                              unit("cross_domain", ["calculator", "convert_units"]), []))
    assert not llm.replies
    assert traj.outcome == "conclusion" and traj.accepted, traj.reasons
    assert [s.next for s in traj.steps] == ["caller", "caller", "conclusion"]
    assert traj.steps[-1].thought == "Both results are known, so I can answer."
    assert {"stage": "planner", "text": "I convert the distance once more to be sure.",
            "reasons": ["repeated_call_cut"]} in traj.candidates
    enums = [c["schema"]["properties"]["next"]["enum"] for c in llm.calls if "thought" in json.dumps(c["schema"])]
    assert enums[-1] == ["conclusion"]


def test_a_tool_groups_episodes_run_in_chains_of_at_most_chain_episodes():
    """80 episodes over 6 tools: the one_tool and domain groups recur, and one group held 15 episodes
    in order, the batch's tail; chains of 4 cut them, each episode in exactly one chain."""
    from collections import Counter

    tools = [TOOLS[n] for n in ("calculator", "percent_change", "convert_units", "int_to_roman", "date_arithmetic",
                                "date_info")]  # recipes/roles.yaml's

    class Recipe:
        seed = 0
        method = {"name": "roles", "episodes": 80, "tools_per_episode": 2, "chain_episodes": 4,
                  "kinds": ["one_tool", "domain", "cross_domain"]}

    units = Roles().units(Recipe, tools)
    sizes = Counter(u.group for u in units)
    assert len(units) == 80 and max(sizes.values()) <= 4
    assert any("#" in g for g in sizes)  # some group was split
    for name in {g.split("#")[0] for g in sizes}:  # a split group's chains are its tools' episodes, dealt round
        chains = [g for g in sizes if g.split("#")[0] == name]
        assert max(sizes[g] for g in chains) - min(sizes[g] for g in chains) <= 1
        assert all(u.data["kind"] + ":" + "+".join(u.data["tools"]) == name for u in units if u.group in chains)
    Recipe.method = {**Recipe.method, "chain_episodes": 1000}
    assert max(Counter(u.group for u in Roles().units(Recipe, tools)).values()) > 4
