"""The one scripted LLM of the test suite, for fast, deterministic tests of logic (never the only
test of a feature), and a runtime factory that hands it to the real pipeline through its seam."""

from __future__ import annotations

import json

from builders.llm import ChatJSON, Completion
from builders.llm.protocol import chosen


class ScriptedLLM(ChatJSON):
    """Answers each call with the next scripted reply; a reply is a str, a JSON-able value, or a
    function of (messages, schema) → reply. When the script runs out, `rule(messages, schema, seed)`
    answers if given. `choose` answers with `scores(messages, options)` → {option: logit}, known
    log-probabilities once normalised. Records every call for assertions."""

    def __init__(self, replies=(), rule=None, scores=None):
        self.replies = list(replies)
        self.rule = rule
        self.scores = scores
        self.calls: list[dict] = []

    def _next(self, messages, schema, seed):
        if self.replies:
            reply = self.replies.pop(0)
            if callable(reply):
                reply = reply(messages, schema)
        elif self.rule is not None:
            reply = self.rule(messages, schema, seed)
        else:
            raise AssertionError(f"ScriptedLLM ran out of replies at call {len(self.calls) + 1}")
        return reply if isinstance(reply, str) else json.dumps(reply)

    def chat(self, messages, *, temperature=0.7, max_tokens=160, seed=0, schema=None, grammar=None, pin=0):
        text = self._next(messages, schema, seed)
        self.calls.append({"messages": messages, "schema": schema, "seed": seed, "text": text,
                           "temperature": temperature, "grammar": grammar, "pin": pin})
        return Completion(text=text, prompt_tokens=sum(len(m["content"].split()) for m in messages),
                          completion_tokens=len(text.split()), seconds=0.001)

    def choose(self, messages, options, *, pin=0):
        if self.scores is None:
            raise AssertionError(f"ScriptedLLM has no scores for choose at call {len(self.calls) + 1}")
        logits = self.scores(messages, list(options))
        completion = chosen(list(options), {o: float(logits[o]) for o in options},
                            sum(len(m["content"].split()) for m in messages), 0.001)
        self.calls.append({"messages": messages, "options": list(options), "pin": pin, "value": completion.value,
                           "schema": None, "text": completion.text})
        return completion

    def forget_prefix(self):
        """It keeps no KV cache; a subclass that imitates one resets it here."""

    def begin_partition(self, from_cache=True):
        self.forget_prefix()


class ScriptedRuntime:
    """A runtime factory for `builders.run.run(plan, runtime=…)`: every partition gets `llm` and the
    process's real sandbox."""

    def __init__(self, llm: ScriptedLLM, judge: ScriptedLLM | None = None):
        self.llm, self.judge = llm, judge

    def __call__(self, spec):
        from builders.run.runtime import Runtime, process_sandbox

        box = process_sandbox(spec.sandbox)
        return Runtime(engine=self.llm, sandbox=box, warnings=list(getattr(box, "warnings", [])),
                       judge=self.judge if spec.judge else None)
