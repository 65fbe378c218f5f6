"""STE's trial and error, reflection, judge and row shape, with the scripted model and the real sandbox."""

import pytest

from builders.methods.ste.filtering import QUESTIONS

from builders.methods.ste.records import Example
from sandbox import Limits, Sandbox
from tests.methods.ste.helpers import explore, episode
from tests.methods.ste.script import SteScript

CALC = {"name": "calculator", "arguments": {"expression": "12*7-4"}}


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(wall_s=3)) as box:
        yield box


def test_a_query_that_calls_and_answers_is_accepted(box):
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."])
    [ex], ep = episode(llm, box)
    assert ex.accepted, (ex.reasons, ex.detail)
    assert ex.observation == "80" and ex.action == ex.api_name == "calculator"
    assert ex.action_input == {"expression": "12*7-4"}
    assert [m["role"] for m in ex.messages] == ["user", "assistant", "tool", "assistant"]
    call = ex.messages[1]["tool_calls"][0]
    assert call["function"] == {"name": "calculator", "arguments": {"expression": "12*7-4"}}
    assert ex.messages[2]["tool_call_id"] == call["id"] and len(call["id"]) == 9 and call["id"].isalnum()
    assert set(ex.messages[0]) == {"role", "content"}
    assert ex.tools[0]["type"] == "function" and ex.tools[0]["function"]["name"] == "calculator"
    assert ex.reflection == {"solved": True, "why": "the call worked"}
    assert {q: ex.verdict[q] for q in QUESTIONS} == {"informative": "yes", "faithful": "yes", "appropriate": "yes"}
    assert ex.verdict["scores"] == {q: 2.0 for q in QUESTIONS}  # kept beside the answers, with the thresholds
    assert ex.group == "calculator/0/0" and ex.paraphrase_of == ""  # its own seed query (no run hash): the split follows it
    assert ex.switches["judge"] is True and ex.switches["execution_feedback"] is True
    assert ex.prompt_tokens > 0 and ex.query_finish == "stop" and ex.answer_finish == "stop"
    assert [llm.calls[i]["stage"] for i in range(7)] == ["query", "call", "answer", "reflection", "judge", "judge",
                                                         "judge"]   # one score per question
    # calls are sampled cooler than imagination; the judge samples nothing
    temps = {c["stage"]: c.get("temperature") for c in llm.calls}
    assert temps["query"] == 1.0 and temps["call"] == 0.2 and temps["judge"] is None
    # the episode record keeps everything
    [step] = ep.steps
    assert step["query"] == ex.query and step["trials"][0]["observation"] == "80" and step["reflection"]["solved"]


def test_a_failed_call_is_corrected_from_its_error(box):
    llm = SteScript(["Divide 10 by 0, and if that fails, divide 10 by 4."],
                    [{"name": "calculator", "arguments": {"expression": "10/0"}},
                     {"name": "calculator", "arguments": {"expression": "10/4"}}],
                    ["Ten divided by four is 2.5."])
    [ex] = explore(llm, box)
    assert ex.accepted, ex.reasons
    assert [t.status for t in ex.trials] == ["error", "ok"]
    assert "division by zero" in ex.trials[0].observation
    retry = [c for c in llm.calls if c["stage"] == "call"][1]["messages"][-1]["content"]
    assert "division by zero" in retry  # the retry saw its own error


def test_without_execution_feedback_the_retry_sees_no_error(box):
    llm = SteScript(["Divide 10 by 0, and if that fails, divide 10 by 4."],
                    [{"name": "calculator", "arguments": {"expression": "10/0"}},
                     {"name": "calculator", "arguments": {"expression": "10/4"}}],
                    ["Ten divided by four is 2.5."])
    [ex] = explore(llm, box, execution_feedback=False)
    retry = [c for c in llm.calls if c["stage"] == "call"][1]["messages"][-1]["content"]
    assert "division by zero" not in retry and "failed" in retry
    assert ex.switches["execution_feedback"] is False


def test_an_unparsable_call_is_an_error_the_model_is_shown(box):
    llm = SteScript(["What is 12 times 7, minus 4?"], ['{"name": "calculator", "argu', CALC],
                    ["Twelve times seven minus four is 80."])
    [ex] = explore(llm, box)
    assert ex.accepted and [t.reason for t in ex.trials] == ["malformed_output", ""]
    assert "not a JSON tool call" in [c for c in llm.calls if c["stage"] == "call"][1]["messages"][-1]["content"]


def test_every_failed_call_leaves_its_reason(box):
    llm = SteScript(["What day is 10 days after 2024-02-25?"],
                    [{"name": "weather", "arguments": {}}, {"name": "date_arithmetic", "arguments": {"days": 10}}])
    [ex] = explore(llm, box, "date_arithmetic")
    assert [t.reason for t in ex.trials] == ["unknown_tool", "missing_required"]
    assert ex.reasons == ["missing_required"] and not ex.messages[1:]


def test_invalid_arguments_never_reach_the_sandbox():
    class NoSandbox:
        def call_tool(self, *a, **k):
            raise AssertionError("invalid arguments must not run")

    llm = SteScript(["Convert 5 parsecs to metres, please."],
                    [{"name": "convert_units", "arguments": {"value": 5, "from_unit": "parsec", "to_unit": "m"}}])
    [ex] = explore(llm, NoSandbox(), "convert_units", max_calls_per_query=1)
    assert ex.reasons == ["enum_violation"] and ex.trials[0].status == "invalid"


def test_timeouts_are_rejected_with_their_reason():
    class SlowSandbox:
        def call_tool(self, target, arguments, **kw):
            return {"status": "timeout", "message": "wall time limit of 3s exceeded", "wall_ms": 3000.0}

    llm = SteScript(["What is 2 to the power of 10?"], [{"name": "calculator", "arguments": {"expression": "2**10"}}])
    [ex] = explore(llm, SlowSandbox(), max_calls_per_query=1)
    assert ex.reasons == ["timeout"]


def test_reflection_is_recorded_and_can_be_switched_off(box):
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."],
                    reflections=[{"solved": "no", "why": "I doubt the sum"}])
    [ex], ep = episode(llm, box)
    assert ex.reflection == {"solved": False, "why": "I doubt the sum"} and ep.steps[0]["reflection"]["solved"] is False
    assert "Final answer: Twelve times seven minus four is 80." in llm.prompts("reflection")[0]
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."])
    [ex] = explore(llm, box, reflection=False)
    assert ex.reflection == {} and llm.count("reflection") == 0 and ex.accepted


def test_the_judge_rejects_with_each_question_its_own_reason(box):
    script = (["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."])
    llm = SteScript(*script, verdicts=[{"informative": "yes", "faithful": "no", "appropriate": "no"}])
    [ex] = explore(llm, box)
    assert ex.reasons == ["judge_unfaithful", "judge_inappropriate"] and ex.verdict["faithful"] == "no"
    assert "Result: 80\nAnswer: Twelve times seven minus four is 80." in llm.prompts("judge")[0]
    # a separate judge model (the recipe's judge) is asked instead of the explorer
    judge_llm = SteScript(verdicts=[{"informative": "no", "faithful": "yes", "appropriate": "yes"}])
    llm = SteScript(*script)
    [ex] = explore(llm, box, judge_llm=judge_llm)
    assert ex.reasons == ["judge_uninformative"] and llm.count("judge") == 0 and judge_llm.count("judge") == 1
    # switched off: nobody is asked
    llm = SteScript(*script)
    [ex] = explore(llm, box, judge=False)
    assert ex.accepted and llm.count("judge") == 0 and ex.verdict == {}


def test_the_judge_is_not_asked_about_rows_the_checks_reject(box):
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["It is 81, I think."])
    [ex] = explore(llm, box)
    assert ex.reasons == ["answer_unfaithful", "answer_misses_result"] and llm.count("judge") == 0


def test_query_and_call_grammars(box):
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."])
    explore(llm, box)
    import re

    query_pattern = llm.calls[0]["schema"]["properties"]["query"]["pattern"]
    assert re.match(query_pattern, "What is 12 times 7, minus 4?")
    for bad in ('{"a": 1}', "https://x.org/a?b=1", "2021-01-01", "Run calculator_tool on 3.", "What is 3?",
                "Is 30.21.20.2008 a date?"):
        assert not re.match(query_pattern, bad), bad
    assert llm.calls[1]["schema"]["properties"]["name"] == {"const": "calculator"}
    answer_pattern = llm.calls[2]["schema"]["properties"]["answer"]["pattern"]
    assert re.match(answer_pattern, "The result is 80.") and not re.match(answer_pattern, 'Called {"expression": 1}')
    # the tool's own examples are the few-shot of the call prompt
    assert '"(12.5 * 4) / 3"' in llm.prompts("call")[0]


def test_ids_are_distinct_and_stable(box):
    def run():
        llm = SteScript(["What is 3 plus 4, please?", "What is the square root of 81?"],
                        [{"name": "calculator", "arguments": {"expression": "3+4"}},
                         {"name": "calculator", "arguments": {"expression": "sqrt(81)"}}],
                        ["Three plus four is 7.", "The square root of 81 is 9."])
        return explore(llm, box, queries_per_episode=2)
    first, again = run(), run()
    assert [e.id for e in first] == [e.id for e in again] and len({e.id for e in first}) == 2
    assert all(isinstance(e, Example) and e.accepted for e in first), [e.reasons for e in first]


def test_paraphrases_are_checked_linked_and_capped(box):
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."],
                    paraphrases=[["Please compute 12 times 7 and take away 4.", "What is 12 times 8, minus 4?",
                                  "What is 12 times 7, minus 4?"]])
    seed, kept, changed, same = explore(llm, box, paraphrases=3)
    assert seed.accepted and kept.accepted, kept.reasons
    assert kept.paraphrase_of == changed.paraphrase_of == seed.id and kept.group == seed.group
    assert kept.messages[0]["content"] == kept.query and kept.messages[1:] == seed.messages[1:]
    assert changed.reasons == ["argument_hallucinated"]     # 8 is not in the call: the paraphrase lost a value
    assert same.reasons == ["paraphrase_duplicate"]
    assert llm.calls[-1]["schema"]["properties"]["paraphrases"]["maxItems"] == 3
    # a tool that has reached its target is not paraphrased
    llm = SteScript(["What is 12 times 7, minus 4?"], [CALC], ["Twelve times seven minus four is 80."])
    assert len(explore(llm, box, paraphrases=3, paraphrase_target=1)) == 1 and llm.count("paraphrase") == 0
