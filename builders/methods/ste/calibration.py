"""Judge calibration: the judge scores exchanges whose right verdict is known, and each of STE's three
questions gets a threshold and figures that say how far its scores can be trusted.

The cases: sound exchanges written in varied styles, and flawed ones of the kinds a capable small model
produced (issue 21): a direction ignored, half a request served, a wrong unit kind, a stitched answer,
made-up argument content, a number not in the result, an uninformative answer. Each flawed case names
the question(s) a right judge answers "no". Every call really runs in the sandbox (built-in tools and
recipes/tools/workshop.py's stateful FileSystem), so a case's result is the tool's own.

Per question, its sound cases are the positives and the flawed cases that name it the negatives (a
flawed case is not counted for the questions it does not name: its right answer there can be argued).
The cases are split in two halves, stratified by kind and deterministic: the threshold is the one that
catches most flawed cases of the first half while passing at least PASS_TARGET of its sound ones, and
the figures reported — AUC, the pass rate of sound cases and the catch rate of flawed ones, per
question and for the questions asked together — are the second half's, which chose nothing.

Why a pass target and not the best balanced accuracy: a row is rejected when any asked question says
no, and the validity checks already reject the flaws they can name. Cut at balanced accuracy the
1.5B's three questions together passed 9 of 15 held-out sound exchanges, and in a real
`recipes/ste.yaml` run 8 of the 13 rows only the judge rejected were right (a correct 15.7 × 2.3,
Paris–Tokyo 9712.5 km three times). At 95 % per question: 12 of 15 sound passed, 12 of 17 flawed caught.

A question whose held-out AUC is under MIN_AUC is dropped from the run's verdict with a warning: its
score orders exchanges little better than chance. Calibration depends only on the judge model, the cases
and the judge's prompt, so it is stored under toolmint's cache folder keyed by those three and a run
(every partition reads it, so they all use the same thresholds) does not compute it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from builders.llm import Usage
from builders.llm.callcache import default_path
from builders.methods.calls import execute
from builders.methods.ste.filtering import QUESTIONS, exchange_text, prompt_digest, scores
from builders.tools import environment

MIN_AUC = 0.7
PASS_TARGET = 0.95  # share of the tuning half's sound exchanges a question's threshold must pass
VERSION = 1  # bump when what a stored calibration means changes
WORKSHOP = Path(__file__).resolve().parents[3] / "recipes" / "tools" / "workshop.py"

SOUND = "sound"
DIRECTION, HALF, UNIT_KIND, STITCHED, MADE_UP, NUMBER, UNINFORMATIVE = (
    "direction_ignored", "half_served", "wrong_unit_kind", "stitched_answer", "made_up_argument",
    "number_not_in_result", "uninformative")
INF, FAI, APP = "informative", "faithful", "appropriate"


@dataclass(frozen=True)
class Case:
    tool: str
    query: str
    arguments: dict
    answer: str
    flaws: tuple = ()     # the questions a right judge answers "no"; () for a sound exchange
    kind: str = SOUND     # the failure kind, or "sound"
    before: tuple = ()    # earlier calls of the episode that made the state, (tool, arguments) each


DAYS_10 = {"start": "2023-04-10", "days": 10}
BETWEEN = {"start": "2023-04-10", "end": "2023-05-10"}
KM_MI = {"value": 5, "from_unit": "km", "to_unit": "mi"}
C_F = {"value": 20, "from_unit": "C", "to_unit": "F"}
MI_KM = {"value": 15, "from_unit": "mi", "to_unit": "km"}
CM_M = {"value": 100, "from_unit": "cm", "to_unit": "m"}
PARIS_BERLIN = {"from_city": "Paris", "to_city": "Berlin"}
SAVINGS = {"principal": 1000, "annual_rate_percent": 5, "years": 3}
MARCH = {"start": "2024-03-01", "end": "2024-03-15"}
JULY_4 = {"date": "2024-07-04"}
FOX = {"text": "The quick brown fox jumps over the lazy dog."}
TODO = {"path": "/notes/todo.txt", "text": "buy milk"}
MILK = (("write_file", TODO),)

CASES = (
    # sound, in varied styles: terse, chatty, rounded, restating, with units or symbols
    Case("calculator", "What is 12 times 7?", {"expression": "12 * 7"}, "12 times 7 is 84."),
    Case("calculator", "Add 45 and 30, then divide the total by 3.", {"expression": "(45 + 30) / 3"},
         "That comes to 25."),
    Case("calculator", "what's 2 to the power of 10", {"expression": "2 ** 10"}, "2^10 = 1024."),
    Case("calculator", "How much is a 15% tip on a $1500 bill?", {"expression": "1500 * 0.15"},
         "A 15% tip on $1500 would be $225."),
    Case("convert_units", "How many miles is 5 km?", KM_MI, "5 km is about 3.11 miles."),
    Case("convert_units", "What is 20 degrees Celsius in Fahrenheit?", C_F, "20 °C is 68 °F."),
    Case("convert_units", "Convert 15 miles to kilometers please", MI_KM,
         "Sure! 15 miles is roughly 24.14 kilometers."),
    Case("convert_units", "I have 3 lb of flour. How much is that in kilograms?",
         {"value": 3, "from_unit": "lb", "to_unit": "kg"}, "Your 3 pounds of flour weigh about 1.36 kg."),
    Case("convert_units", "how many kilograms is 20 g", {"value": 20, "from_unit": "g", "to_unit": "kg"},
         "20 g = 0.02 kg."),
    Case("date_arithmetic", "What is the date 10 days before 2023-04-10?", {"start": "2023-04-10", "days": -10},
         "Ten days before 10 April 2023 it was 2023-03-31, a Friday."),
    Case("date_arithmetic", "What date is 10 days after 2023-04-10?", DAYS_10, "2023-04-20 (a Thursday)."),
    Case("date_arithmetic", "How many days are there between 2023-04-10 and 2023-05-10?", BETWEEN,
         "There are 30 days between them, about 4.3 weeks."),
    Case("date_arithmetic", "My trial starts on 2024-01-31 and lasts 45 days. When does it end?",
         {"start": "2024-01-31", "days": 45}, "It ends on Saturday, 2024-03-16."),
    Case("date_info", "What day of the week was July 4, 2024?", JULY_4, "July 4, 2024 was a Thursday."),
    Case("date_info", "Which ISO week of the year is 2024-07-04 in?", JULY_4, "It falls in ISO week 27 of 2024."),
    Case("percent_change", "By what percent did the price go up from 80 to 100?", {"old": 80, "new": 100},
         "It went up by 25% (an increase of 20)."),
    Case("prime_factors", "Factor 360 into primes.", {"n": 360}, "360 = 2 × 2 × 2 × 3 × 3 × 5."),
    Case("gcd_lcm", "What's the greatest common divisor of 12 and 18?", {"numbers": [12, 18]},
         "The GCD of 12 and 18 is 6."),
    Case("gcd_lcm", "least common multiple of 12 and 18?", {"numbers": [12, 18]},
         "36 is the smallest number that both 12 and 18 divide."),
    Case("text_stats", "How many words are in 'The quick brown fox jumps over the lazy dog.'?", FOX,
         "That sentence has 9 words."),
    Case("city_distance", "How far is it from Paris to Berlin?", PARIS_BERLIN,
         "Paris and Berlin are about 878 km apart as the crow flies."),
    Case("compound_interest", "If I invest $1000 at 5% a year for 3 years, what will I have?", SAVINGS,
         "You would have $1161.47, of which $161.47 is interest."),
    Case("business_days", "How many working days are there from 2024-03-01 to 2024-03-15?", MARCH,
         "There are 10 business days in that span."),
    Case("country_info", "What is the capital of Japan?", {"country": "Japan"}, "Tokyo is the capital of Japan."),
    Case("country_info", "What currency do they use in Japan?", {"country": "Japan"},
         "Japan uses the yen (JPY)."),
    Case("int_to_roman", "Write 1994 in Roman numerals.", {"number": 1994}, "1994 is MCMXCIV."),
    Case("edit_distance", "How many single-letter edits turn 'kitten' into 'sitting'?",
         {"a": "kitten", "b": "sitting"}, "It takes 3 edits."),
    Case("write_file", "Save a note saying 'buy milk' in /notes/todo.txt.", TODO,
         "Saved: /notes/todo.txt now holds your note (8 characters)."),
    Case("read_file", "What is in my /notes/todo.txt file?", {"path": "/notes/todo.txt"},
         "Your to-do file says: buy milk.", before=MILK),
    Case("write_file", "Add 'call Anna' to the end of /notes/todo.txt.",
         {"path": "/notes/todo.txt", "text": "call Anna", "append": True},
         "Done: 'call Anna' was appended, and the file is now 17 characters long.", before=MILK),

    # a direction ignored
    Case("date_arithmetic", "What is the date 10 days before 2023-04-10 and what is its weekday?", DAYS_10,
         "The date 10 days before 2023-04-10 is 2023-04-20, which is a Thursday.", (APP,), DIRECTION),
    Case("date_arithmetic", "What was the date 10 days prior to 2023-04-10?", DAYS_10,
         "10 days prior to 2023-04-10 it was 2023-04-20.", (APP,), DIRECTION),
    Case("date_arithmetic", "Which date was 45 days earlier than 2024-01-31?", {"start": "2024-01-31", "days": 45},
         "45 days earlier than 2024-01-31 is 2024-03-16.", (APP,), DIRECTION),
    Case("percent_change", "By what percent did the price drop from 100 to 80?", {"old": 80, "new": 100},
         "The price dropped by 25%.", (APP,), DIRECTION),
    # half a request served
    Case("convert_units", "Convert 100 cm to meters, and 20 g to kilograms.", CM_M, "100 cm is 1 meter.",
         (APP, INF), HALF),
    Case("calculator", "What is 12 times 7, and what is 2 to the power of 10?", {"expression": "12 * 7"},
         "12 times 7 is 84.", (APP, INF), HALF),
    Case("country_info", "What are the capitals of Japan and France?", {"country": "Japan"},
         "The capital of Japan is Tokyo.", (APP, INF), HALF),
    Case("date_info", "What weekday is 2024-07-04, and is 2024 a leap year?", JULY_4, "2024-07-04 is a Thursday.",
         (INF,), HALF),
    Case("gcd_lcm", "Find both the GCD and the LCM of 12 and 18.", {"numbers": [12, 18]}, "The GCD is 6.",
         (INF,), HALF),
    # a wrong unit kind
    Case("convert_units", "15 miles per hour is approximately how many kilometers per second?", MI_KM,
         "15 miles per hour is approximately 24.14016 kilometers per second.", (APP,), UNIT_KIND),
    Case("convert_units", "What is 20 degrees Celsius in Kelvin?", C_F, "20 degrees Celsius is 68 Kelvin.",
         (APP,), UNIT_KIND),
    Case("convert_units", "Convert 3 pounds to ounces.", {"value": 3, "from_unit": "lb", "to_unit": "kg"},
         "3 pounds is 1.36 ounces.", (APP,), UNIT_KIND),
    Case("convert_units", "What is 5 km in feet?", KM_MI, "5 km is 3.11 feet.", (APP,), UNIT_KIND),
    # stitched, broken answers
    Case("date_arithmetic", "How many weeks are there between 2023-04-10 and 2023-05-10?", BETWEEN,
         "There are 30 days between 2023-04-10 and 2023-05-10, which is about weeks between.", (INF,), STITCHED),
    Case("date_arithmetic", "How many days and weeks lie between 2023-04-10 and 2023-05-10?", BETWEEN,
         "There are 4.286 weeks, with days between start and end.", (INF,), STITCHED),
    Case("convert_units", "How many meters is 100 cm?", CM_M,
         "100 cm is equals to 1 meters, and grams to kilograms is length.", (INF,), STITCHED),
    Case("compound_interest", "What does $1000 grow to at 5% a year over 3 years?", SAVINGS,
         "The final balance is 1161.47 with interest earned periods.", (INF,), STITCHED),
    Case("city_distance", "How far apart are Paris and Berlin?", PARIS_BERLIN,
         "The distance from Paris, FR to is 878.4 unit km.", (INF,), STITCHED),
    # made-up argument content
    Case("write_file", "Append a note to /notes/todo.txt with the text I just wrote.",
         {"path": "/notes/todo.txt", "text": "just wrote", "append": True}, "The note has a size of 18.", (APP,),
         MADE_UP, before=MILK),
    Case("text_stats", "Count the words in the paragraph I pasted above.", {"text": "the paragraph I pasted above"},
         "It has 5 words.", (APP,), MADE_UP),
    Case("write_file", "Save my shopping list to /notes/shop.txt.",
         {"path": "/notes/shop.txt", "text": "my shopping list"}, "Saved /notes/shop.txt (16 characters).",
         (APP,), MADE_UP),
    Case("edit_distance", "How similar are the two names I mentioned earlier?",
         {"a": "two names", "b": "mentioned earlier"}, "Their edit distance is 12.", (APP,), MADE_UP),
    Case("calculator", "What is 12 times 7?", {"expression": "3 + 3"}, "12 times 7 is 6.", (APP,), MADE_UP),
    # a number not in the result
    Case("convert_units", "How many miles is 5 km?", KM_MI, "5 km is about 8 miles.", (FAI,), NUMBER),
    Case("calculator", "Add 45 and 30, then divide the total by 3.", {"expression": "(45 + 30) / 3"},
         "That comes to 35.", (FAI,), NUMBER),
    Case("city_distance", "How far is it from Paris to Berlin?", PARIS_BERLIN,
         "Paris and Berlin are about 1050 km apart.", (FAI,), NUMBER),
    Case("compound_interest", "If I invest $1000 at 5% a year for 3 years, what will I have?", SAVINGS,
         "You would have $1150 after 3 years.", (FAI,), NUMBER),
    Case("date_info", "Tell me about July 4, 2024.", JULY_4, "July 4, 2024 was a Thursday, day 200 of the year.",
         (FAI,), NUMBER),
    Case("business_days", "How many working days are there from 2024-03-01 to 2024-03-15?", MARCH,
         "There are 12 working days in that span.", (FAI,), NUMBER),
    Case("date_arithmetic", "What is the date 10 days before 2023-04-10?", {"start": "2023-04-10", "days": -10},
         "Ten days before 2023-04-10 it was 2023-03-30.", (FAI,), NUMBER),
    Case("percent_change", "What is the percent change from 80 to 100?", {"old": 80, "new": 100},
         "It rose by 30%.", (FAI,), NUMBER),
    Case("gcd_lcm", "What's the greatest common divisor of 12 and 18?", {"numbers": [12, 18]},
         "The GCD of 12 and 18 is 3.", (FAI,), NUMBER),
    Case("text_stats", "How many words are in 'The quick brown fox jumps over the lazy dog.'?", FOX,
         "That sentence has 8 words.", (FAI,), NUMBER),
    # uninformative answers
    Case("calculator", "What is 12 times 7?", {"expression": "12 * 7"}, "I like to help with questions.", (INF,),
         UNINFORMATIVE),
    Case("convert_units", "What is 20 degrees Celsius in Fahrenheit?", C_F, "The conversion was done successfully.",
         (INF,), UNINFORMATIVE),
    Case("country_info", "What is the capital of Japan?", {"country": "Japan"},
         "Here is the information about the country you asked for.", (INF,), UNINFORMATIVE),
    Case("prime_factors", "Factor 360 into primes.", {"n": 360}, "The tool returned the factors.", (INF,),
         UNINFORMATIVE),
    Case("read_file", "What is in my /notes/todo.txt file?", {"path": "/notes/todo.txt"}, "I read the file.",
         (INF,), UNINFORMATIVE, before=MILK),
)


def case_tools() -> dict:
    """The cases' tools: the built-in catalogue and the workshop's stateful FileSystem."""
    from builders.tools.catalogue import builtin_tools, load_toolset

    tools = builtin_tools()
    tools.update(load_toolset([{"python": str(WORKSHOP), "include": ["FileSystem"]}]).by_name())
    return tools


def halves(cases=CASES) -> tuple[list[int], list[int]]:
    """Case indices of the tuning half and the held-out half: within each kind, alternately, in order
    (stratified and deterministic)."""
    tune, held, seen = [], [], {}
    for i, case in enumerate(cases):
        n = seen[case.kind] = seen.get(case.kind, -1) + 1
        (tune if n % 2 == 0 else held).append(i)
    return tune, held


def auc(positive: list[float], negative: list[float]) -> float | None:
    """The chance that a sound case scores above a flawed one (ties count half); None without both."""
    if not positive or not negative:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return round(wins / (len(positive) * len(negative)), 4)


def threshold(positive: list[float], negative: list[float], target: float | None = None) -> float:
    """The cut (score ≥ cut is "yes") that catches most of the flawed scores while passing at least
    `target` of the sound ones; among equally good cuts the middle one, so the choice is
    deterministic and not at an edge."""
    values = sorted(set(positive) | set(negative))
    cuts = [values[0] - 1.0, *[(a + b) / 2 for a, b in zip(values, values[1:])], values[-1] + 1.0]
    target = PASS_TARGET if target is None else target
    allowed = [c for c in cuts if rates(positive, negative, c)[0] >= target - 1e-9] or cuts[:1]
    best = max(rates(positive, negative, c)[1] for c in allowed)
    good = [c for c in allowed if rates(positive, negative, c)[1] == best]
    return round(good[len(good) // 2], 4)


def rates(positive: list[float], negative: list[float], cut: float) -> tuple[float, float]:
    """(pass rate of sound cases, catch rate of flawed ones) at `cut`."""
    passed = sum(p >= cut for p in positive) / len(positive) if positive else 0.0
    caught = sum(n < cut for n in negative) / len(negative) if negative else 0.0
    return round(passed, 4), round(caught, 4)


def figures(cases, case_scores: list[dict]) -> dict:
    """Per question: the threshold chosen on the tuning half and the held-out half's AUC, pass and
    catch rates (and the tuning half's AUC, for comparison)."""
    return from_rows(rows_of(cases, case_scores))[0]


def rows_of(cases, case_scores: list[dict]) -> list[dict]:
    tune, _ = halves(cases)
    return [{"query": c.query, "answer": c.answer, "tool": c.tool, "kind": c.kind, "flaws": list(c.flaws),
             "half": "tune" if i in tune else "held_out", "scores": s}
            for i, (c, s) in enumerate(zip(cases, case_scores))]


def together(rows: list[dict], thresholds: dict, dropped: list) -> dict:
    """The held-out half judged as a run judges a row: a sound exchange passes when every asked
    question says yes, a flawed one is caught when any says no."""
    asked = [q for q in thresholds if q not in dropped]
    held = [r for r in rows if r["half"] == "held_out"]
    sound = [r for r in held if not r["flaws"]]
    flawed = [r for r in held if r["flaws"]]
    says_no = lambda r: any(r["scores"][q] < thresholds[q] for q in asked)  # noqa: E731
    return {"questions": asked, "sound": len(sound), "flawed": len(flawed),
            "pass": round(sum(not says_no(r) for r in sound) / len(sound), 4) if sound else 0.0,
            "catch": round(sum(says_no(r) for r in flawed) / len(flawed), 4) if flawed else 0.0}


def from_rows(rows: list[dict]) -> tuple[dict, list]:
    """Per-question figures and the dropped questions from scored case rows (half, flaws, scores):
    a stored calibration is re-cut with the current rule, without scoring the cases again."""
    out = {}
    for q in QUESTIONS:
        def split(half):
            pos = [r["scores"][q] for r in rows if r["half"] == half and not r["flaws"]]
            neg = [r["scores"][q] for r in rows if r["half"] == half and q in r["flaws"]]
            return pos, neg
        (tp, tn), (hp, hn) = split("tune"), split("held_out")
        cut = threshold(tp, tn) if tp or tn else 0.0
        passed, caught = rates(hp, hn, cut)
        out[q] = {"threshold": cut, "auc": auc(hp, hn), "pass": passed, "catch": caught, "sound": len(hp),
                  "flawed": len(hn), "auc_tune": auc(tp, tn)}
    return out, [q for q, f in out.items() if f["auc"] is None or f["auc"] < MIN_AUC]


@dataclass
class Calibration:
    judge: str                 # the judging model's name
    questions: dict            # per question: threshold, held-out auc / pass / catch, counts, auc_tune
    cases: list                # per case: query, answer, kind, flaws, half, scores
    dropped: list = field(default_factory=list)  # questions whose held-out AUC is under MIN_AUC
    prompt_tokens: int = 0
    seconds: float = 0.0
    key: str = ""              # the cache key: judge sha256, cases, prompt
    from_cache: bool = False

    @property
    def thresholds(self) -> dict:
        return {q: f["threshold"] for q, f in self.questions.items()}

    @property
    def warnings(self) -> list[str]:
        """What the user must know: a question the judge cannot answer usefully, which the run drops."""
        out = []
        for q in self.dropped:
            f = self.questions[q]
            out.append(f"the judge ({self.judge}) reached AUC {f['auc']} on the held-out calibration cases for "
                       f"'{q}' (under {MIN_AUC}: its score tells sound from flawed little better than chance), so "
                       "the run does not ask it; name a stronger `judge_model` in the recipe to have it asked")
        if len(self.dropped) == len(QUESTIONS):
            out.append("no judge question is asked: only the validity checks decide")
        return out

    @property
    def together(self) -> dict:
        return together(self.cases, self.thresholds, self.dropped)

    def as_dict(self) -> dict:
        return {**asdict(self), "thresholds": self.thresholds, "together": self.together,
                "pass_target": PASS_TARGET, "warnings": self.warnings}


def cases_digest(cases=CASES) -> str:
    return hashlib.sha256(json.dumps([asdict(c) for c in cases], sort_keys=True).encode()).hexdigest()[:16]


def cache_key(judge_sha256: str, cases=CASES) -> str:
    material = json.dumps({"v": VERSION, "judge": judge_sha256, "cases": cases_digest(cases),
                           "prompt": prompt_digest(), "min_auc": MIN_AUC})
    return hashlib.sha256(material.encode()).hexdigest()


def cache_file(key: str) -> str:
    """Beside the LLM-call cache, under toolmint's cache folder."""
    return os.path.join(os.path.dirname(default_path()), "judge-calibration", f"{key}.json")


def stored(key: str) -> dict | None:
    try:
        with open(cache_file(key)) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def store(key: str, data: dict) -> dict:
    """Write once: when another process stored it first, its figures win, so every partition of a
    run uses the same thresholds."""
    path = cache_file(key)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return stored(key) or data


def case_exchange(tools: dict, sandbox, case: Case) -> str:
    """Run the case's calls in one episode of the sandbox; the exchange as the judge reads it."""
    episode = environment.Episode(sandbox)
    earlier = []
    for name, arguments in case.before:
        done = execute(tools, episode, name, arguments)
        earlier.append(f"{name}({json.dumps(arguments, ensure_ascii=False)}) -> {done.observation}")
    call = execute(tools, episode, case.tool, case.arguments)
    if call.status != "ok":
        raise RuntimeError(f"calibration case {case.query!r}: {case.tool} failed: {call.observation}")
    return exchange_text(case.tool, case.query, case.arguments, call.observation, case.answer, earlier)


def calibrate(ctx, judge_name: str, judge_sha256: str = "", cases=CASES) -> Calibration:
    """Score every case with `ctx.judge` (else `ctx.engine`) and calibrate each question; stored and
    read back by `judge_sha256` (none given: computed every time, as for a scripted judge)."""
    key = cache_key(judge_sha256, cases) if judge_sha256 else ""
    if not key:
        return measure(ctx, judge_name, key, cases)
    path = cache_file(key)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as lock:  # the partitions that start together: one computes, the others wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if found := stored(key):
            found = {k: v for k, v in found.items() if k in Calibration.__dataclass_fields__}
            questions, dropped = from_rows(found["cases"])  # the scores are stored; the cut is today's
            return Calibration(**{**found, "questions": questions, "dropped": dropped, "judge": judge_name,
                                  "from_cache": True})
        return measure(ctx, judge_name, key, cases)


def measure(ctx, judge_name: str, key: str, cases) -> Calibration:
    """Score the cases and calibrate; stored under `key` unless it is empty."""
    start = time.perf_counter()
    engine = ctx.judge or ctx.engine
    tools, usage = case_tools(), Usage()
    case_scores = [scores(engine, case_exchange(tools, ctx.sandbox, case), usage) for case in cases]
    rows = rows_of(cases, case_scores)
    questions, dropped = from_rows(rows)
    result = Calibration(judge=judge_name, questions=questions, cases=rows, dropped=dropped,
                         prompt_tokens=usage.prompt_tokens, seconds=round(time.perf_counter() - start, 1), key=key)
    if key:
        data = store(key, asdict(result))
        result = Calibration(**{**{k: v for k, v in data.items() if k in Calibration.__dataclass_fields__},
                                "judge": judge_name})
    return result
