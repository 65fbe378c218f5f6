"""The final answer to the user, written from the observation.

Its grammar: a sentence that starts with a capital letter (or a stated number) and holds no braces,
brackets, quotes, underscores, '=' or newlines — so it cannot paste the call's JSON or a tool
identifier. With grounding on, it must state a key value of the result, and every number in it is
one of the result's, the query's or the call's (builders/methods/grounding.py): a 135M model
otherwise writes 'The answer is a number' or a number found nowhere. Best of n (`candidates`): up to
n answers are sampled, the first that passes the answer checks is kept, the others are recorded."""

from __future__ import annotations

import json

from builders.llm import Completion, Usage
from builders.methods import grounding  # a module: grounding imports STE's checks
from builders.methods.ste.checks import answer_problems
from builders.methods.ste.settings import exploit
from builders.record import Call

ANSWER_FIELD = {"type": "string", "pattern": r'^[A-Z][^{}\[\]<>_=|\\"`\n]{9,180}$'}
ANSWER_SCHEMA = {"type": "object", "properties": {"answer": ANSWER_FIELD}, "required": ["answer"],
                 "additionalProperties": False}
MAX_TOKENS = 70
RETRY_TEMPERATURE = 0.7

# Worked exchanges with the result in words: shown the result's JSON (and the tools' documentation),
# a 135M model copies keys and quotes ('romexxc: MCMXCIV, urn: urn:'); shown 'roman = MCMXCIV' and
# three short answers, it writes a sentence (docs/methods/ste.md).
SYSTEM = "You answer the user's request in one short sentence that states the tool's result."
SHOTS = [("How much is 250 US dollars in euros today?", "amount = 231.5, currency = EUR",
          "250 US dollars are 231.5 euros today."),
         ("What does the word ephemeral mean?", "word = ephemeral, meaning = lasting a very short time",
          "Ephemeral means lasting a very short time."),
         ("When does the Prado Museum open on Sundays?", "opens = 10:00, closes = 19:00",
          "On Sundays the Prado Museum opens at 10:00 and closes at 19:00.")]
PINNED = 1 + 2 * len(SHOTS)  # the system message and the worked exchanges: the same for every answer


def in_words(observation: str) -> str:
    """A result as `field = value` pairs ('roman = MCMXCIV, number = 1994'); a bare value as it is."""
    try:
        value = json.loads(observation)
    except (json.JSONDecodeError, TypeError):
        return observation
    if not isinstance(value, (dict, list)):
        return observation
    return ", ".join(f"{k.replace('_', ' ') or 'value'} = {v}" for k, v in grounding._fields(value))[:600]


def answer_prompt(query: str, call: Call) -> list[dict]:
    messages = [{"role": "system", "content": SYSTEM}]
    for request, result, answer in SHOTS:
        messages += [{"role": "user", "content": f"Request: {request}\nResult: {result}"},
                     {"role": "assistant", "content": json.dumps({"answer": answer})}]
    return [*messages, {"role": "user", "content": f"Request: {query}\nResult: {in_words(call.observation)}"}]


GRAMMARS = ("closed", "open", "free")  # the `answer_grammar` setting (settings.py)


def answer_schema(query: str, call: Call, grammar: str = "closed") -> dict:
    """The answer's grammar for this result. `closed`: words from a closed vocabulary around a key
    value of the result (grounding.answer_pattern, made for a 135M model); `open`: any words, still
    around a key value; `free`: one plain sentence (no braces, quotes, '=' …), the checks judge the rest."""
    if grammar == "free":
        return ANSWER_SCHEMA
    pattern = grounding.answer_pattern(call.observation, call.arguments, query, closed=grammar == "closed")
    field = {"type": "string", "pattern": pattern}
    return {"type": "object", "properties": {"answer": field}, "required": ["answer"], "additionalProperties": False}


def write_answer(ctx, query: str, call: Call, seed: int, usage: Usage, tools: list) -> tuple[str, Completion, list[dict]]:
    """The answer, its completion, and the discarded candidates with their reasons."""
    messages = answer_prompt(query, call)
    grammar = ctx.settings.get("answer_grammar", "closed") if ctx.settings.get("grounding", True) else "free"
    schema = answer_schema(query, call, grammar)
    sources = "\n".join([call.observation, query, json.dumps(call.arguments)])
    n, discarded = max(1, ctx.settings.get("candidates", 1)), []
    for i in range(n):
        sampling = {**exploit(ctx), "max_tokens": MAX_TOKENS}
        if i:  # a later candidate samples more widely: at a low temperature it would repeat the first
            sampling["temperature"] = max(sampling["temperature"], RETRY_TEMPERATURE)
        out = usage.add(ctx.engine.chat_json(messages, schema, seed=seed + 7919 * i, pin=PINNED, **sampling))
        answer = (out.value.get("answer", "") if isinstance(out.value, dict) else "").strip()
        finish = out.finish_reason if out.parsed else "length"
        problems = answer_problems(answer, finish, {t.name for t in tools}, call.arguments, sources)
        if not problems or i == n - 1:
            return answer, out, discarded
        discarded.append({"stage": "answer", "text": answer or out.text, "reasons": problems})
