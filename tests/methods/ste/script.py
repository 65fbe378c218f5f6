"""A scripted STE model: each stage's replies in its own queue, told apart by the grammar (schema)
the stage asks for, so a test writes what matters (queries, calls, answers) and the rest — reflection
and the judge — answers yes unless scripted."""

from __future__ import annotations

import json

from builders.methods.ste.answer import ANSWER_SCHEMA
from builders.methods.ste.filtering import QUESTIONS
from builders.methods.ste.query import NUMBERED_SCHEMA, QUERY_SCHEMA
from builders.methods.ste.reflection import REFLECTION_SCHEMA
from tests.scripted import ScriptedLLM

YES = {"informative": "yes", "faithful": "yes", "appropriate": "yes"}


def stage(schema) -> str:
    if schema in (QUERY_SCHEMA, NUMBERED_SCHEMA):
        return "query"
    if schema == ANSWER_SCHEMA or schema and list(schema.get("properties", {})) == ["answer"]:
        return "answer"  # the plain answer grammar, or one grounded in the result
    if schema == REFLECTION_SCHEMA:
        return "reflection"
    if schema and "paraphrases" in schema.get("properties", {}):
        return "paraphrase"
    return "call"


class SteScript(ScriptedLLM):
    """queries / calls / answers: lists of replies (a query str, a call dict, an answer str; a raw str
    for `calls` is sent as it is, e.g. a cut-off reply). `finish`: {stage: [finish_reason, …]}."""

    def __init__(self, queries=(), calls=(), answers=(), reflections=(), verdicts=(), paraphrases=(), finish=None):
        self.queues = {"query": [{"query": q} if isinstance(q, str) and not q.startswith("{") else q for q in queries],
                       "call": list(calls), "answer": [{"answer": a} for a in answers],
                       "reflection": list(reflections), "judge": list(verdicts),
                       "paraphrase": [{"paraphrases": p} for p in paraphrases]}
        self.finish = {k: list(v) for k, v in (finish or {}).items()}
        self.verdict = None
        super().__init__(rule=self.reply, scores=self.score)

    def score(self, messages, options):
        """The judge's scores from the next scripted verdict ({question: "yes"/"no"}), popped at a
        row's first question: yes scores +2, no −2 (the uncalibrated threshold is 0)."""
        question = next(q for q, (words, _) in QUESTIONS.items() if messages[-1]["content"].endswith(words))
        if question == next(iter(QUESTIONS)) or self.verdict is None:
            queue = self.queues["judge"]
            self.verdict = queue.pop(0) if queue else YES
        return {"yes": 2.0 if self.verdict.get(question) == "yes" else -2.0, "no": 0.0}

    def choose(self, messages, options, *, pin=0):
        completion = super().choose(messages, options, pin=pin)
        self.calls[-1]["stage"] = "judge"
        return completion

    def reply(self, messages, schema, seed):
        kind = stage(schema)
        queue = self.queues[kind]
        if queue:
            return queue.pop(0)
        if kind == "reflection":
            return {"solved": "yes", "why": "the call worked"}
        if kind == "judge":
            return YES
        raise AssertionError(f"no scripted {kind} reply left")

    def chat(self, messages, **kw):
        completion = super().chat(messages, **kw)
        kind = stage(kw.get("schema"))
        self.calls[-1]["stage"] = kind
        if self.finish.get(kind):
            completion.finish_reason = self.finish[kind].pop(0)
        return completion

    def count(self, kind: str) -> int:
        """Calls of one stage; the judge's: rows judged (three questions each)."""
        n = sum(c["stage"] == kind for c in self.calls)
        return n // len(QUESTIONS) if kind == "judge" else n

    def prompts(self, kind: str) -> list[str]:
        """Every prompt of one stage, as one text each."""
        return ["\n".join(m["content"] for m in c["messages"]) for c in self.calls if c["stage"] == kind]



def knowing(row_scores):
    """A judge's scores that know the calibration cases (+2 where the right answer is yes, −2 where
    it is no) and give `row_scores(question)` for any other exchange (the run's rows)."""
    from builders.methods.ste.calibration import CASES

    def scores(messages, options):
        text = messages[-1]["content"]
        question = next(q for q, (words, _) in QUESTIONS.items() if text.endswith(words))
        case = next((c for c in CASES if text.startswith(f"Request: {c.query}\n") and f"Answer: {c.answer}\n" in text
                     and f"Call: {c.tool}({json.dumps(c.arguments, ensure_ascii=False)})" in text), None)
        if case is None:
            return {"yes": row_scores(question), "no": 0.0}
        return {"yes": -2.0 if question in case.flaws else 2.0, "no": 0.0}
    return scores
