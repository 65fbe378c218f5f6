"""STE's filtering judge: an LLM (the recipe's judge model, by default the same one) answers the
paper's three questions about an example — is the final answer informative, is it faithful to the
observation, was the tool used appropriately for the query — under a yes/no grammar. Any "no"
rejects the example with its own reason code."""

from __future__ import annotations

from builders.llm import Usage
from builders.methods.ste.settings import decide

QUESTIONS = {
    "informative": ("Is the final answer informative: does it give the user what they asked for?",
                    "judge_uninformative"),
    "faithful": ("Is the final answer faithful to the tool result: does every fact in it come from the result?",
                 "judge_unfaithful"),
    "appropriate": ("Was the tool used appropriately: do the last call's arguments match what the user asked?",
                    "judge_inappropriate"),
}
VERDICT_SCHEMA = {"type": "object", "properties": {k: {"enum": ["yes", "no"]} for k in QUESTIONS},
                  "required": list(QUESTIONS), "additionalProperties": False}


def assess(ctx, conversation: list[dict], outcome: str, seed: int, usage: Usage) -> tuple[dict, list[str]]:
    """The verdict {question: "yes"/"no"} and the reason codes of each "no". The judge reads the
    query's `conversation` up to its last call (trial.exchange) and what came of it."""
    engine = ctx.judge or ctx.engine
    questions = "\n".join(f"{k}: {q}" for k, (q, _) in QUESTIONS.items())
    messages = [*conversation, {"role": "user", "content": f"{outcome}\n\nReview this exchange strictly, as a training "
                                                            f"example for tool use. Answer each question with yes or no.\n{questions}\n"
                                                            'Reply in JSON: {"informative": ..., "faithful": ..., "appropriate": ...}'}]
    out = usage.add(engine.chat_json(messages, VERDICT_SCHEMA, seed=seed, **decide(ctx)))
    if not isinstance(out.value, dict):
        return {}, ["judge_malformed"]
    verdict = {k: out.value.get(k, "no") for k in QUESTIONS}
    return verdict, [code for k, (_, code) in QUESTIONS.items() if verdict[k] != "yes"]
