"""Judge calibration: each of STE's three questions is scored on exchanges whose right verdict is known;
a threshold is chosen on one half and the other half says how far the judge can be trusted."""

import json
import re

import pytest

from builders.methods.calls import execute
from builders.methods.grounding import stated_numbers
from builders.methods.ste import METHOD as STE
from builders.methods.ste import calibration as cal
from builders.methods.ste.calibration import CASES, auc, calibrate, case_tools, halves, rates, threshold
from builders.methods.ste.filtering import QUESTIONS, SHOTS
from builders.tools import environment
from sandbox import Sandbox
from tests.methods.ste.helpers import context
from tests.scripted import ScriptedLLM

DIRECTION_WORDS = re.compile(r"\b(before|prior|earlier|ago|drop|fell|less)\b")


def result_of(tools, box, case):
    episode = environment.Episode(box)
    for name, arguments in case.before:
        assert execute(tools, episode, name, arguments).status == "ok"
    call = execute(tools, episode, case.tool, case.arguments)
    assert call.status == "ok", (case, call)
    return call.observation


def strings(value) -> list[str]:
    """The string values of a JSON result, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in strings(v)] if isinstance(value, list) else []


def numbers(text: str) -> set:
    return {float(v) for v in stated_numbers(text)}


def unsaid(said: set, got: set) -> set:
    """The numbers of `said` that are no number of `got` rounded to as many decimals (4.3 from 4.286)."""
    def places(x):
        text = repr(x)
        return 0 if text.endswith(".0") else len(text.split(".")[1])
    return {x for x in said if not any(round(g, places(x)) == x for g in got)}


def test_the_set_is_broad_enough():
    kinds = {c.kind for c in CASES}
    assert len(CASES) >= 60 and len({c.tool for c in CASES}) >= 8
    assert {"write_file", "read_file"} <= {c.tool for c in CASES}          # the stateful environment
    assert kinds == {cal.SOUND, cal.DIRECTION, cal.HALF, cal.UNIT_KIND, cal.STITCHED, cal.MADE_UP, cal.NUMBER,
                     cal.UNINFORMATIVE}
    assert all(set(c.flaws) <= set(QUESTIONS) and bool(c.flaws) == (c.kind != cal.SOUND) for c in CASES)
    for q in QUESTIONS:  # every question has flawed cases in both halves
        tune, held = halves()
        assert all(any(q in CASES[i].flaws for i in half) for half in (tune, held)), q
    assert len({(c.query, c.answer, str(c.arguments)) for c in CASES}) == len(CASES)
    shots = {text.split("\n")[0] for text, _, _ in SHOTS}  # the judge's worked examples are not cases
    assert not shots & {f"Request: {c.query}" for c in CASES}


def test_each_case_is_what_it_claims():
    """Every call runs for real; a sound answer states only the result's (or request's) numbers; each
    flaw is really there, read against the executed result."""
    tools = case_tools()
    with Sandbox() as box:
        for case in CASES:
            result = result_of(tools, box, case)
            said, asked, got = numbers(case.answer), numbers(case.query), numbers(result)
            if case.kind == cal.SOUND:
                assert not unsaid(said, got | asked), case
                assert not DIRECTION_WORDS.search(case.query) or case.arguments.get("days", 0) < 0, case
            elif case.kind == cal.NUMBER:   # a number neither the result nor the request holds
                assert unsaid(said, got | asked), case
            elif case.kind == cal.UNINFORMATIVE:  # none of the result's values is said
                assert not said & got and not any(
                    re.search(rf"\b{re.escape(w)}\b", case.answer) for w in strings(json.loads(result))), case
            elif case.kind == cal.DIRECTION:  # an earlier date or a drop asked, a later one / a rise computed
                assert DIRECTION_WORDS.search(case.query), case
                assert case.arguments.get("days", 0) > 0 or '"direction": "up"' in result, case
            elif case.kind == cal.HALF:      # two things asked, the answer says one
                assert " and " in case.query and len(re.findall(r"[.!]", case.answer)) == 1, case
            elif case.kind == cal.UNIT_KIND:  # the unit the request asks for is not the call's target unit
                unit = case.arguments["to_unit"]
                asked_for = re.search(r"\b(in|to|many) (\w+)", case.query).group(2).lower()
                assert not asked_for.startswith({"km": "kilo", "mi": "mile", "F": "fahr", "kg": "kilo"}[unit]) or \
                    "per" in case.query, case
            elif case.kind == cal.STITCHED:  # the answer strings a result's field name or unit in without sense
                fields = {k.replace("_", " ") for k in re.findall(r'"(\w+)":', result)} | {"length", "unit", "to is"}
                assert any(f in case.answer for f in fields), case
            elif case.kind == cal.MADE_UP:   # an argument the request does not state: lifted filler or invented
                lifted = [v for k, v in case.arguments.items() if k != "path" and isinstance(v, str) and " " in v
                          and v in case.query]
                invented = "expression" in case.arguments and not numbers(case.arguments["expression"]) <= asked
                assert (lifted or invented) and "'" not in case.query, case


@pytest.mark.parametrize("pos, neg, want", [([2, 3], [0, 1], 1.0), ([0, 1], [2, 3], 0.0), ([1, 1], [1, 1], 0.5),
                                            ([3, 1], [2, 0], 0.75), ([], [1], None)])
def test_auc(pos, neg, want):
    assert auc(pos, neg) == want


def test_the_threshold_separates_and_the_rates_follow():
    assert threshold([2.0, 3.0], [-1.0, 0.0]) == 1.0            # the middle of the gap
    assert rates([2.0, 3.0], [-1.0, 0.0], 1.0) == (1.0, 1.0)
    # overlap: the most flawed caught while passing the target share of the sound ones
    cut = threshold([0.0, 2.0, 4.0], [1.0, -2.0, -3.0])
    assert rates([0.0, 2.0, 4.0], [1.0, -2.0, -3.0], cut) == (1.0, pytest.approx(2 / 3, abs=1e-4))
    cut = threshold([0.0, 2.0, 4.0], [1.0, -2.0, -3.0], target=0.6)   # one sound case may go
    assert rates([0.0, 2.0, 4.0], [1.0, -2.0, -3.0], cut) == (pytest.approx(2 / 3, abs=1e-4), 1.0)
    assert threshold([5.0, 6.0], [5.0, 6.0]) in (4.0, 5.5, 7.0)


def test_halves_are_stratified_and_fixed():
    tune, held = halves()
    assert sorted(tune + held) == list(range(len(CASES))) and not set(tune) & set(held)
    for kind in {c.kind for c in CASES}:
        n = [sum(CASES[i].kind == kind for i in half) for half in (tune, held)]
        assert abs(n[0] - n[1]) <= 1, kind
    assert halves() == (tune, held)


def known(table):
    """A judge whose scores are known: `table(case, question)` → log p(yes) − log p(no)."""
    def scores(messages, options):
        text = messages[-1]["content"]
        question = next(q for q, (words, _) in QUESTIONS.items() if text.endswith(words))
        [case] = [c for c in CASES if f"Request: {c.query}\n" in text and f"Answer: {c.answer}\n" in text
                  and str(c.arguments["expression"] if "expression" in c.arguments else "") in text]
        return {"yes": table(case, question), "no": 0.0}
    return ScriptedLLM(scores=scores)


def run(judge, sha=""):
    with Sandbox() as box:
        return calibrate(context(ScriptedLLM(), box, judge_llm=judge), "the judge", sha)


def test_a_judge_that_knows_the_cases_is_calibrated_perfectly():
    judge = known(lambda c, q: -2.0 if q in c.flaws else 2.0)
    result = run(judge)
    assert len(judge.calls) == 3 * len(CASES) and all(call["options"] == ["yes", "no"] for call in judge.calls)
    for q, f in result.questions.items():
        assert (f["auc"], f["pass"], f["catch"], f["threshold"]) == (1.0, 1.0, 1.0, 0.0), q
        assert f["sound"] + f["flawed"] == sum(i in halves()[1] and (not c.flaws or q in c.flaws)
                                               for i, c in enumerate(CASES))
    assert result.together == {"questions": list(QUESTIONS), "pass": 1.0, "catch": 1.0,
                               "sound": sum(not CASES[i].flaws for i in halves()[1]),
                               "flawed": sum(bool(CASES[i].flaws) for i in halves()[1])}
    assert result.dropped == [] and result.warnings == []
    assert {c["half"] for c in result.cases} == {"tune", "held_out"}


def test_the_threshold_comes_from_one_half_and_the_figures_from_the_other():
    """Scores that separate the tuning half at +1 but put the held-out flawed cases above it: the
    held-out figures show the miss, the tuning half's AUC does not."""
    tune, held = halves()
    where = {id(CASES[i]): i for i in range(len(CASES))}

    def table(case, q):
        if not case.flaws:
            return 3.0
        if q not in case.flaws:
            return 0.0
        return -1.0 if where[id(case)] in tune else 4.0
    result = run(known(table))
    for f in result.questions.values():
        assert f["auc_tune"] == 1.0 and f["threshold"] == 1.0
        assert (f["auc"], f["pass"], f["catch"]) == (0.0, 1.0, 0.0)
    assert result.dropped == list(QUESTIONS)
    assert any("AUC 0.0" in w and "'faithful'" in w for w in result.warnings)


def test_a_judge_that_says_yes_to_everything_is_dropped():
    result = run(ScriptedLLM(scores=lambda m, o: {"yes": 3.0, "no": 0.0}))
    assert all(f["auc"] == 0.5 for f in result.questions.values()) and result.dropped == list(QUESTIONS)
    assert "no judge question is asked" in result.warnings[-1]


def test_calibration_is_stored_by_the_judge_and_not_computed_again(monkeypatch):
    first = run(known(lambda c, q: -1.0 if q in c.flaws else 1.0), sha="a" * 64)
    again = run(ScriptedLLM(), sha="a" * 64)  # no scores: it would fail if asked
    assert again.from_cache and again.questions == first.questions and again.key == first.key
    # the stored scores are cut again with today's rule: a changed pass target needs no re-scoring
    monkeypatch.setattr(cal, "PASS_TARGET", 1.01)
    recut = run(ScriptedLLM(), sha="a" * 64)
    assert recut.from_cache and all(f["threshold"] < -1.0 and f["catch"] == 0.0 for f in recut.questions.values())
    with pytest.raises(AssertionError):
        run(ScriptedLLM(), sha="b" * 64)      # another judge: computed
    with pytest.raises(AssertionError):
        run(ScriptedLLM())                    # no sha256 (a scripted judge): never stored


def test_no_calibration_without_the_judge():
    with Sandbox() as box:
        assert STE.calibrate(context(ScriptedLLM(), box, judge=False)) is None


def test_the_run_judges_with_the_calibrated_thresholds():
    """A score at or above its question's threshold is a yes; a dropped question is not asked."""
    from builders.llm import Usage
    from builders.methods.ste.filtering import assess

    judge = ScriptedLLM(scores=lambda m, o: {"yes": 1.0, "no": 0.0})
    ctx = context(ScriptedLLM(), None, judge_llm=judge)
    calibration = {"thresholds": {"informative": 0.5, "faithful": 1.5, "appropriate": 0.0}, "dropped": ["appropriate"]}
    verdict, codes = assess(ctx, "Request: What is 2 + 2?\nAnswer: 4.", Usage(), calibration)
    assert codes == ["judge_unfaithful"] and len(judge.calls) == 2
    assert verdict == {"informative": "yes", "faithful": "no", "scores": {"informative": 1.0, "faithful": 1.0},
                       "thresholds": {"informative": 0.5, "faithful": 1.5}}


@pytest.mark.model
def test_the_embedded_model_scores_the_cases(model_path):
    """The real model through the real seam on a few cases of each half: every question gets a
    finite score per case, the figures are those of the scores, and the second time comes from the store."""
    from builders.llm import Metered, get_engine
    from builders.methods.ste.calibration import figures

    engine = Metered(get_engine(model_path, n_threads=2))
    engine.forget_prefix()
    few = tuple(CASES[i] for i in (0, 1, 30, 31, 44, 45, 53, 54, 63, 64))
    with Sandbox() as box:
        result = calibrate(context(engine, box), "SmolLM2", "c" * 64, cases=few)
        assert engine.usage.calls == 3 * len(few) and engine.usage.completion_tokens == 0
        assert engine.usage.cached_tokens > 0   # the pinned instructions and examples, and each exchange's prefix
        scores = [c["scores"] for c in result.cases]
        assert all(set(s) == set(QUESTIONS) and all(abs(v) < 50 for v in s.values()) for s in scores)
        assert result.questions == figures(few, scores)
        again = calibrate(context(engine, box), "SmolLM2", "c" * 64, cases=few)
    assert again.from_cache and engine.usage.calls == 3 * len(few) and again.questions == result.questions
