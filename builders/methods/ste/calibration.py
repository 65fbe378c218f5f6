"""Judge calibration: before the LLM judge filters a run's rows, it judges six exchanges whose right
verdict is known — three sound, three with one flaw each (an answer that does not answer, a number the
result does not hold, arguments that do not match the request). Each call really runs in the sandbox,
and the judge reads each exchange exactly as it reads a row (trial.exchange, trial.outcome).

Why: a judge that cannot tell a sound exchange from a flawed one decides acceptance at random or, as
measured with SmolLM2-135M-Instruct judging itself, rejects everything — it answered "no" to all three
questions for sound exchanges too, so a run accepted nothing whatever its rows were. The user learns
that from the run, in figures (manifest `judge_calibration`, a warning), not from an empty dataset.

The run's first partition does it before its own rows (builders/run/partition.py), from an empty KV
cache at temperature 0, so a resumed run does it alike; it adds no row and changes none.
`toolmint calibrate RECIPE` does the same alone, in seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from builders.llm import Usage
from builders.methods.calls import execute
from builders.methods.ste.filtering import assess
from builders.methods.ste.trial import exchange, outcome
from builders.tools import environment

SEED = 7177


@dataclass(frozen=True)
class Case:
    tool: str
    query: str
    arguments: dict
    answer: str
    flaw: str = ""     # the question a right judge answers "no" ("" : a sound exchange, all "yes")


CASES = (
    Case("convert_units", "How many miles is 5 km?", {"value": 5, "from_unit": "km", "to_unit": "mi"},
         "5 km is about 3.11 miles."),
    Case("convert_units", "How many miles is 5 km?", {"value": 5, "from_unit": "km", "to_unit": "mi"},
         "5 km is about 8 miles.", flaw="faithful"),
    Case("convert_units", "What is 20 degrees Celsius in Fahrenheit?", {"value": 20, "from_unit": "C", "to_unit": "F"},
         "20 degrees Celsius is 68 degrees Fahrenheit."),
    Case("calculator", "What is 12 times 7?", {"expression": "12 * 7"}, "12 times 7 is 84."),
    Case("calculator", "What is 12 times 7?", {"expression": "12 * 7"}, "I like to help with questions.",
         flaw="informative"),
    Case("calculator", "What is 12 times 7?", {"expression": "3 + 3"}, "12 times 7 is 6.", flaw="appropriate"),
)


@dataclass
class Calibration:
    judge: str                 # the judging model's name
    sound: int                 # sound exchanges shown
    sound_accepted: int        # ... the judge answered yes to all three questions
    flawed: int
    flawed_rejected: int       # flawed exchanges it answered no to the flaw's question
    verdicts: list             # per case: {"query", "answer", "flaw", "verdict"}
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def warnings(self) -> list[str]:
        """What the user must know: a judge that rejects most sound examples, or passes most flawed ones."""
        out = []
        if self.sound_accepted * 2 < self.sound:
            out.append(f"the judge ({self.judge}) accepted {self.sound_accepted} of {self.sound} sound calibration "
                       "examples, so it rejects good rows too and few or none will be accepted: name a stronger "
                       "`judge_model` in the recipe (with `method.judge: false` the validity checks alone decide, "
                       "and they do not judge whether a request makes sense)")
        if self.flawed_rejected * 2 < self.flawed:
            out.append(f"the judge ({self.judge}) caught {self.flawed_rejected} of {self.flawed} flawed calibration "
                       "examples, so its yes means little: name a stronger `judge_model` in the recipe")
        return out

    def as_dict(self) -> dict:
        return {**asdict(self), "warnings": self.warnings}


def calibrate(ctx, tools: dict, judge_name: str) -> Calibration:
    """Judge every case with `ctx.judge` (else `ctx.engine`); `tools` must hold the cases' tools."""
    usage = Usage()
    calls = environment.Episode(ctx.sandbox)
    verdicts, sound_ok, flawed_caught = [], 0, 0
    for i, case in enumerate(CASES):
        call = execute(tools, calls, case.tool, case.arguments)
        verdict, codes = assess(ctx, exchange([tools[case.tool]], [], case.query, [call], True),
                                outcome(call, case.answer, True), SEED + i, usage)
        if case.flaw:
            flawed_caught += verdict.get(case.flaw) == "no"
        else:
            sound_ok += not codes
        verdicts.append({"query": case.query, "answer": case.answer, "flaw": case.flaw, "verdict": verdict})
    sound = sum(not c.flaw for c in CASES)
    return Calibration(judge=judge_name, sound=sound, sound_accepted=sound_ok, flawed=len(CASES) - sound,
                       flawed_rejected=flawed_caught, verdicts=verdicts, prompt_tokens=usage.prompt_tokens,
                       completion_tokens=usage.completion_tokens)


