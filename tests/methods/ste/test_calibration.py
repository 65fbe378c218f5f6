"""Judge calibration: the judge answers STE's three questions on exchanges whose right verdict is
known; the run learns, in figures, whether its judge can tell sound rows from flawed ones."""

import pytest

from builders.llm import Metered, get_engine
from builders.methods.calls import execute
from builders.methods.grounding import stated_numbers
from builders.methods.ste import METHOD as STE
from builders.methods.ste.calibration import CASES, calibrate
from builders.methods.ste.filtering import QUESTIONS, VERDICT_SCHEMA
from builders.tools import builtin_tools, environment
from sandbox import Sandbox
from tests.methods.ste.helpers import context
from tests.scripted import ScriptedLLM


def right(messages, schema, seed):
    """A judge that knows the cases (each has its own answer): "no" to the flaw's question only."""
    assert schema == VERDICT_SCHEMA
    answer = messages[-1]["content"].split("Final answer: ")[1].split("\n")[0]
    [case] = [c for c in CASES if c.answer == answer]
    return {q: "no" if q == case.flaw else "yes" for q in QUESTIONS}


def test_the_cases_are_what_they_claim():
    """Every call runs; a sound answer states the result's value; each flaw is really there."""
    tools = builtin_tools()
    with Sandbox() as box:
        calls = environment.Episode(box)
        for case in CASES:
            call = execute(tools, calls, case.tool, case.arguments)
            assert call.status == "ok", call
            result = {round(v, 2) for v in stated_numbers(call.observation)}
            stated = {round(v, 2) for v in stated_numbers(case.answer)}
            asked = set(stated_numbers(case.query))
            if case.flaw in ("", "faithful"):  # the answer states numbers: the result's, or not
                assert (stated - asked <= result) == (case.flaw == ""), case
            if case.flaw == "informative":
                assert not stated, case
            if case.flaw == "appropriate":   # the arguments' numbers are not the request's
                assert not set(stated_numbers(case.arguments["expression"])) <= asked, case
    assert {c.flaw for c in CASES} == {"", *QUESTIONS}
    assert sum(not c.flaw for c in CASES) == sum(bool(c.flaw) for c in CASES)


@pytest.mark.parametrize("judge, sound, caught, warned", [
    (right, 3, 3, []),
    (lambda m, s, seed: {q: "no" for q in QUESTIONS}, 0, 3, ["accepted 0 of 3 sound"]),
    (lambda m, s, seed: {q: "yes" for q in QUESTIONS}, 3, 0, ["caught 0 of 3 flawed"]),
])
def test_calibration_counts_what_the_judge_got_right(judge, sound, caught, warned):
    maker, judging = ScriptedLLM(), ScriptedLLM(rule=judge)
    with Sandbox() as box:
        result = calibrate(context(maker, box, judge_llm=judging), builtin_tools(), "the judge")
    assert not maker.calls and len(judging.calls) == len(CASES)   # the judge's engine, never the maker's
    assert (result.sound_accepted, result.flawed_rejected) == (sound, caught)
    assert len(result.warnings) == len(warned) and all(w in text for w, text in zip(warned, result.warnings))
    assert [v["verdict"] for v in result.verdicts] == [judge(c["messages"], c["schema"], 0) for c in judging.calls]


def test_no_calibration_without_the_judge():
    with Sandbox() as box:
        assert STE.calibrate(context(ScriptedLLM(), box, judge=False)) is None


@pytest.mark.model
def test_the_embedded_model_as_judge(model_path):
    """The real model judges the six cases through the real sandbox; the figures agree with its
    verdicts, and a warning comes exactly when it passes fewer than half the sound ones or catches
    fewer than half the flawed ones."""
    engine = Metered(get_engine(model_path, n_threads=1))
    engine.forget_prefix()
    with Sandbox() as box:
        result = calibrate(context(engine, box), builtin_tools(), "SmolLM2")
    assert engine.usage.calls == len(CASES) and result.prompt_tokens == engine.usage.prompt_tokens
    verdicts = [v["verdict"] for v in result.verdicts]
    assert all(set(v) == set(QUESTIONS) and set(v.values()) <= {"yes", "no"} for v in verdicts)
    assert result.sound_accepted == sum(all(a == "yes" for a in v.values()) for c, v in zip(CASES, verdicts) if not c.flaw)
    assert result.flawed_rejected == sum(v[c.flaw] == "no" for c, v in zip(CASES, verdicts) if c.flaw)
    assert bool(result.warnings) == (2 * result.sound_accepted < 3 or 2 * result.flawed_rejected < 3)
