"""Every engine in the repository implements the whole `LLM` interface, with the Protocol's
arguments and defaults: the pipeline calls each method on whatever engine a runtime gives it,
without probing for it."""

import inspect

import pytest

from builders.llm import LLM, CachedEngine, Engine, Metered
from builders.llm.batch import BatchEngine
from tests.methods.ste.script import SteScript
from tests.run.drill import KVLikeLLM, OverlapLLM, SlowLLM
from tests.scripted import ScriptedLLM

METHODS = [name for name, f in vars(LLM).items() if inspect.isfunction(f) and not name.startswith("_")]
ENGINES = [Engine, BatchEngine, CachedEngine, Metered, ScriptedLLM, SteScript, SlowLLM, KVLikeLLM, OverlapLLM]
P = inspect.Parameter


def unfit(cls) -> list[str]:
    """What `cls` lacks of the interface: a method it does not have, or one that does not take the
    Protocol's arguments the way the Protocol declares them, with the same defaults."""
    problems = []
    for name in METHODS:
        impl = getattr(cls, name, None)
        if impl is None or impl is getattr(LLM, name) or not callable(impl):
            problems.append(f"{name}: missing")
            continue
        want = list(inspect.signature(getattr(LLM, name)).parameters.values())[1:]  # without self
        got = list(inspect.signature(impl).parameters.values())[1:]
        problems += [f"{name}: {p}" for p in _mismatches(want, got)]
    return problems


def _mismatches(want: list[P], got: list[P]) -> list[str]:
    by_name = {p.name: p for p in got}
    var_kw = any(p.kind is P.VAR_KEYWORD for p in got)
    out = []
    for i, w in enumerate(want):
        g = by_name.get(w.name)
        if w.kind is P.VAR_KEYWORD:
            ok = var_kw
        elif w.kind is P.POSITIONAL_OR_KEYWORD:  # passed by position: same place, same name
            ok = i < len(got) and got[i].name == w.name and got[i].kind is P.POSITIONAL_OR_KEYWORD
        else:  # keyword-only: a parameter of that name, or **kwargs passing it on
            ok = (g is not None and g.kind in (P.KEYWORD_ONLY, P.POSITIONAL_OR_KEYWORD)) or (g is None and var_kw)
        if not ok:
            out.append(f"does not take {w.name!r} as the Protocol does")
        elif g is not None and w.default is not P.empty and g.default != w.default:
            out.append(f"{w.name!r} defaults to {g.default!r}, the Protocol's default is {w.default!r}")
    wanted = {w.name for w in want}
    out += [f"requires {g.name!r}, which the Protocol does not pass" for g in got
            if g.name not in wanted and g.default is P.empty and g.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)]
    return out


@pytest.mark.parametrize("cls", ENGINES, ids=lambda c: c.__name__)
def test_every_engine_implements_the_whole_interface(cls):
    assert unfit(cls) == []


def test_the_check_finds_a_missing_method_or_a_drifted_signature():
    class NoRestart(ScriptedLLM):
        begin_partition = None

    class OtherDefault(ScriptedLLM):
        def chat(self, messages, *, temperature=1.0, max_tokens=160, seed=0, schema=None, grammar=None, pin=0):
            return super().chat(messages, temperature=temperature)

    class NoPin:
        def chat(self, messages, *, temperature=0.7, max_tokens=160, seed=0, schema=None, grammar=None):
            pass

    assert METHODS == ["chat", "chat_json", "choose", "forget_prefix", "begin_partition"]
    assert unfit(NoRestart) == ["begin_partition: missing"]
    assert unfit(OtherDefault) == ["chat: 'temperature' defaults to 1.0, the Protocol's default is 0.7"]
    assert unfit(NoPin) == ["chat: does not take 'pin' as the Protocol does", "chat_json: missing",
                            "choose: missing", "forget_prefix: missing", "begin_partition: missing"]
