"""A scripted STE model: each stage's replies in its own queue, told apart by the grammar (schema)
the stage asks for, so a test writes what matters (queries, calls, answers) and the rest — reflection
and the judge — answers yes unless scripted."""

from __future__ import annotations

from builders.methods.ste.answer import ANSWER_SCHEMA
from builders.methods.ste.filtering import VERDICT_SCHEMA
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
    if schema == VERDICT_SCHEMA:
        return "judge"
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
        super().__init__(rule=self.reply)

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

    def prompts(self, kind: str) -> list[str]:
        """Every prompt of one stage, as one text each."""
        return ["\n".join(m["content"] for m in c["messages"]) for c in self.calls if c["stage"] == kind]

    def count(self, kind: str) -> int:
        return sum(c["stage"] == kind for c in self.calls)
