"""STE's answer grammars with a capable model: which one gives right, fluent answers?

The answer step's grammar was made for SmolLM2-135M (a closed vocabulary around a key value of the
result, grounding.answer_pattern). With Qwen2.5-Coder-1.5B it stitched words around the required
values ("… which is about weeks between."). This writes one answer per exchange under each grammar
(`answer_grammar`: closed, open, free), the same prompt, seed and temperature as the pipeline, for
exchanges whose calls are right and really run in the sandbox, and counts the answers that pass
STE's answer checks (no best of n: the first answer is what is measured). It prints each answer.

    python benchmarks/bench_answers.py                        # Qwen2.5-Coder-1.5B
    BENCH_MODEL=package:qwen2.5-coder-0.5b-instruct python benchmarks/bench_answers.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from builders.llm.batch import BatchEngine  # noqa: E402
from builders.methods.calls import execute  # noqa: E402
from builders.methods.ste.answer import GRAMMARS, MAX_TOKENS, answer_prompt, answer_schema  # noqa: E402
from builders.methods.ste.checks import (answer_problems, contradicts_result, misses_result,  # noqa: E402
                                         wrong_field)
from builders.model_file import resolve_model  # noqa: E402
from builders.tools import builtin_tools, environment  # noqa: E402
from sandbox import Limits, Sandbox  # noqa: E402

# (request, tool, arguments): requests like those the 1.5B imagined, each with its right call
EXCHANGES = [
    ("What is the date 10 days before 2023-04-10 and what is its weekday?", "date_arithmetic",
     {"start": "2023-04-10", "days": -10}),
    ("How many days and weeks are between 2023-04-10 and 2023-05-10?", "date_arithmetic",
     {"start": "2023-04-10", "end": "2023-05-10"}),
    ("What date is 45 days after 2024-01-15?", "date_arithmetic", {"start": "2024-01-15", "days": 45}),
    ("What weekday was 2023-04-10?", "date_arithmetic", {"start": "2023-04-10"}),
    ("Convert 100 cm to meters.", "convert_units", {"value": 100, "from_unit": "cm", "to_unit": "m"}),
    ("15 miles per hour is how many kilometers per hour?", "convert_units",
     {"value": 15, "from_unit": "mph", "to_unit": "km/h"}),
    ("How many pounds are 20 kilograms?", "convert_units", {"value": 20, "from_unit": "kg", "to_unit": "lb"}),
    ("What is 72 degrees Fahrenheit in Celsius?", "convert_units", {"value": 72, "from_unit": "F", "to_unit": "C"}),
    ("What is 50 divided by 2?", "calculator", {"expression": "50 / 2"}),
    ("What is 12 times 7, minus 4?", "calculator", {"expression": "12 * 7 - 4"}),
    ("What is the square root of 144 plus 10?", "calculator", {"expression": "sqrt(144) + 10"}),
    ("How far is Paris from Tokyo?", "city_distance", {"from_city": "Paris", "to_city": "Tokyo"}),
    ("How many miles is it from Lima to Quito?", "city_distance", {"from_city": "Lima", "to_city": "Quito", "unit": "mi"}),
    ("What are the prime factors of 360?", "prime_factors", {"n": 360}),
    ("Write 1994 as a Roman numeral.", "int_to_roman", {"number": 1994}),
    ("What is the capital of Japan?", "country_info", {"country": "Japan"}),
]


def problems(answer: str, finish: str, call, query: str, tools) -> list[str]:
    sources = "\n".join([call.observation, query, json.dumps(call.arguments)])
    found = answer_problems(answer, finish, {t for t in tools}, call.arguments, sources)
    if misses_result(answer, call.observation, call.arguments, query):
        found.append("answer_misses_result")
    if wrong_field(answer, call.observation, call.arguments, query):
        found.append("answer_wrong_field")
    if contradicts_result(answer, call.observation, query, call.arguments):
        found.append("answer_contradicts_result")
    return found


def main() -> None:
    model = resolve_model(os.environ.get("BENCH_MODEL", "package:qwen2.5-coder-1.5b-instruct"))
    tools = builtin_tools()
    with Sandbox(Limits(wall_s=5)) as box:
        episode = environment.Episode(box)
        calls = [(q, execute(tools, episode, name, args)) for q, name, args in EXCHANGES]
    assert all(c.status == "ok" for _, c in calls), [c.observation for _, c in calls if c.status != "ok"]
    engine = BatchEngine(str(model.path), n_ctx=2048, n_threads=int(os.environ.get("BENCH_THREADS", "2")),
                         sequences=8)

    def answer(job):
        grammar, (query, call) = job
        out = engine.chat_json(answer_prompt(query, call), answer_schema(query, call, grammar), seed=99,
                               temperature=0.2, max_tokens=MAX_TOKENS)
        text = (out.value.get("answer", "") if isinstance(out.value, dict) else "").strip()
        return grammar, query, text, problems(text, out.finish_reason if out.parsed else "length", call, query, tools)

    start = time.perf_counter()
    jobs = [(g, c) for g in GRAMMARS for c in calls]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(answer, jobs))
    for grammar in GRAMMARS:
        mine = [r for r in results if r[0] == grammar]
        print(f"\n== {grammar}: {sum(not r[3] for r in mine)} of {len(mine)} answers pass the answer checks")
        for _, query, text, found in mine:
            print(f"  {'ok ' if not found else 'BAD'} {query!r}\n      -> {text!r} {found or ''}")
    print(json.dumps({"model": model.name, "seconds": round(time.perf_counter() - start, 1),
                      **{g: sum(not r[3] for r in results if r[0] == g) for g in GRAMMARS}, "of": len(calls)}))


if __name__ == "__main__":
    main()
