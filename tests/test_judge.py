"""The judge: generic checks, a method's checks, every reason kept."""

import dataclasses

from builders.judge import judge
from builders.judge import Check
from builders.record import Call, Record, column


@dataclasses.dataclass(frozen=True, kw_only=True)
class Answer(Record):
    config = "answers"
    accepted_schema = {"text": {"minLength": 1}}
    text: str = column("the answer", default="")
    calls: list[Call] = column("calls", default_factory=list)

    def path_calls(self):
        return self.calls


SHOUTS = Check("shouting", lambda r: "shouting" if r.text.isupper() else None, (Answer,))
LONG = Check("too_long", lambda r: "too_long" if len(r.text) > 10 else None)


def test_every_reason_is_kept():
    judged = judge(Answer(id="a", text="HELLO THERE WORLD", reasons=["malformed_output"]), (SHOUTS, LONG))
    assert not judged.accepted and judged.reasons == ["malformed_output", "shouting", "too_long"]


def test_a_clean_record_is_accepted():
    judged = judge(Answer(id="a", text="fine", calls=[Call(name="f", status="ok")]), (SHOUTS, LONG))
    assert judged.accepted and judged.reasons == []


def test_generic_checks_calls_ran_and_schema():
    failed = judge(Answer(id="a", text="ok", calls=[Call(name="f", status="timeout", reason="timeout")]))
    assert failed.reasons == ["timeout"]
    empty = judge(Answer(id="a", text=""))
    assert empty.reasons == ["schema_invalid"] and "text" in empty.detail
