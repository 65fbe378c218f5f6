"""STE's filtering judge: an LLM (the recipe's judge model, by default the same one) answers the
paper's three questions about an example — is the final answer informative, is it faithful to the
observation, was the tool used appropriately for the query — each asked on its own, few-shot.

Why scores, not a sampled yes/no: asked for a JSON verdict, Qwen2.5-Coder-1.5B said yes to everything
(it passed "12 times 7 is 6."). Its log-probability of "yes" against "no" still orders exchanges, so
each question gets a score (`LLM.choose`) and a threshold calibrated on exchanges whose verdict is
known (calibration.py); a score under its question's threshold is a "no", with that question's reason
code. A question whose calibration shows the judge cannot tell (AUC under calibration.MIN_AUC) is
dropped from the verdict, with a warning, rather than deciding at random.
"""

from __future__ import annotations

import hashlib
import json

from builders.llm import Usage

QUESTIONS = {
    "informative": ("Is the answer informative: does it tell the user, in clear and complete words, everything "
                    "they asked for?", "judge_uninformative"),
    "faithful": ("Is the answer faithful to the result: is every number and fact in it taken from the result "
                 "(or the request)?", "judge_unfaithful"),
    "appropriate": ("Was the tool called appropriately: do the call's arguments match the request exactly — its "
                    "values, its direction (before or after, from or to), its units and every part it asks for?",
                    "judge_inappropriate"),
}
OPTIONS = ["yes", "no"]
# without calibration (a stage driven alone, in tests): yes when the judge finds yes likelier than no
UNCALIBRATED = {"thresholds": {q: 0.0 for q in QUESTIONS}, "dropped": []}
INSTRUCTIONS = ("You review exchanges between a user and an assistant that calls a tool, as training examples. "
                "Each exchange shows the request, the tool and its call, the tool's result and the assistant's "
                "answer. Answer the question about it with one word: yes or no. Be strict: a flaw means no.")

# Worked examples, one yes and one no per question, on values the calibration cases do not use.
# The last is a "no", which counters the small model's leaning to yes.
SHOTS = (
    ("Request: What is 9 squared?\nTool: calculator\nCall: calculator({\"expression\": \"9 ** 2\"})\n"
     "Result: 81\nAnswer: 9 squared is 81.", "informative", "yes"),
    ("Request: What is 25% of 80?\nTool: calculator\nCall: calculator({\"expression\": \"80 * 0.25\"})\n"
     "Result: 20\nAnswer: 25% of 80 is 16.", "faithful", "no"),
    ("Request: What date is 3 days before 2024-05-10?\nTool: date_arithmetic\n"
     "Call: date_arithmetic({\"start\": \"2024-05-10\", \"days\": -3})\n"
     "Result: {\"start\": \"2024-05-10\", \"days_added\": -3, \"date\": \"2024-05-07\", \"weekday\": \"Tuesday\"}\n"
     "Answer: Three days before 2024-05-10 it was Tuesday, 2024-05-07.", "appropriate", "yes"),
    ("Request: How many days are there from 2024-02-01 to 2024-03-01?\nTool: date_arithmetic\n"
     "Call: date_arithmetic({\"start\": \"2024-02-01\", \"end\": \"2024-03-01\"})\n"
     "Result: {\"start\": \"2024-02-01\", \"end\": \"2024-03-01\", \"days_between\": 29, \"weeks_between\": 4.143}\n"
     "Answer: There are days between the start and the end.", "informative", "no"),
    ("Request: Convert 2 kg to pounds.\nTool: convert_units\n"
     "Call: convert_units({\"value\": 2, \"from_unit\": \"kg\", \"to_unit\": \"lb\"})\n"
     "Result: {\"value\": 4.409245, \"unit\": \"lb\", \"dimension\": \"mass\"}\nAnswer: 2 kg is about 4.41 pounds.",
     "faithful", "yes"),
    ("Request: How many feet is 4 meters?\nTool: convert_units\n"
     "Call: convert_units({\"value\": 4, \"from_unit\": \"m\", \"to_unit\": \"in\"})\n"
     "Result: {\"value\": 157.480315, \"unit\": \"in\", \"dimension\": \"length\"}\nAnswer: 4 meters is 157.48 feet.",
     "appropriate", "no"),
)


def exchange_text(tool: str, query: str, arguments: dict, observation: str, answer: str,
                  earlier: list[str] = ()) -> str:
    """An exchange as the judge reads it: the same few lines for a calibration case and a run's row,
    so the calibrated thresholds mean the same thing on both."""
    lines = [f"Request: {query}", *[f"Earlier: {e}" for e in earlier], f"Tool: {tool}",
             f"Call: {tool}({json.dumps(arguments, ensure_ascii=False)})", f"Result: {observation[:600]}",
             f"Answer: {answer or '(none)'}"]
    return "\n".join(lines)


def earlier_calls(calls) -> list[str]:
    """A stateful row's earlier calls (its `prior_calls`: they made the state the row's call acts on)
    and their results, as calibration shows them; the judge reads the turns the row carries."""
    return [f"{c.name}({json.dumps(c.arguments, ensure_ascii=False)}) -> {c.observation[:200]}" for c in calls][-3:]


def ask(text: str, question: str) -> str:
    return f"{text}\nQuestion: {QUESTIONS[question][0]}"


def messages_for(text: str, question: str) -> list[dict]:
    """Instructions and the worked examples first (the same for every question and exchange, pinned),
    then the exchange and, last, the question: an exchange's three questions share its KV prefix."""
    shots = [m for shot, q, reply in SHOTS for m in ({"role": "user", "content": ask(shot, q)},
                                                     {"role": "assistant", "content": reply})]
    return [{"role": "system", "content": INSTRUCTIONS}, *shots, {"role": "user", "content": ask(text, question)}]


PIN = 1 + 2 * len(SHOTS)


def prompt_digest() -> str:
    """What the scores depend on besides the model and the exchange: calibration's cache key holds it."""
    material = json.dumps([INSTRUCTIONS, SHOTS, QUESTIONS, OPTIONS, messages_for("X", "faithful")])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def scores(engine, text: str, usage: Usage, questions=tuple(QUESTIONS)) -> dict[str, float]:
    """{question: log p(yes) − log p(no)} for the exchange `text`."""
    out = {}
    for question in questions:
        choice = usage.add(engine.choose(messages_for(text, question), OPTIONS, pin=PIN))
        out[question] = round(choice.value["yes"] - choice.value["no"], 4)
    return out


def assess(ctx, text: str, usage: Usage, calibration: dict) -> tuple[dict, list[str]]:
    """The verdict on the exchange `text` and the reason codes of each "no". `calibration` (see
    calibration.py) gives each question's threshold and the questions it drops; a dropped question
    is not asked. The verdict keeps the scores and thresholds beside the answers."""
    engine = ctx.judge or ctx.engine
    kept = [q for q in QUESTIONS if q not in calibration.get("dropped", [])]
    thresholds = calibration["thresholds"]
    got = scores(engine, text, usage, kept)
    verdict = {q: "yes" if got[q] >= thresholds[q] else "no" for q in kept}
    codes = [QUESTIONS[q][1] for q in kept if verdict[q] == "no"]
    return {**verdict, "scores": got, "thresholds": {q: thresholds[q] for q in kept}}, codes
