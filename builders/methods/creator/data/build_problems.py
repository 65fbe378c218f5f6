"""Builds the shipped CREATOR problem set: data/problems.jsonl, every gold answer computed here.

    python -m builders.methods.creator.data.build_problems            # rewrites problems.jsonl
    python -m builders.methods.creator.data.build_problems --check    # exit 1 when the file differs

Each skill is a function of a seeded random generator that returns the question (and a table, for
TabMWP-like problems) and computes its answer exactly (Fractions, datetime). 21 skills come as
a group of three problems that share the skill (CREATOR's tool-transfer setting: a tool made for
the first should solve the other two) plus one lone problem; the others as three lone problems.
Deterministic: the same code writes the same bytes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
import random
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

OUT = Path(__file__).resolve().parent / "problems.jsonl"
SEED = 2305_14318


def fmt(x, places: int = 2) -> str:
    """An exact value as the gold answer text: integers as they are, others rounded half-up."""
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return str(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def money(x) -> str:
    x = Fraction(x)
    return "$" + (str(x.numerator) if x.denominator == 1 else fmt(x, 2))


def cents(r: random.Random, low: int, high: int) -> Fraction:
    return Fraction(r.randint(low * 4, high * 4), 4)


def show(x: Fraction) -> str:
    return f"{float(x):.2f}" if x.denominator != 1 else str(x.numerator)


# ----------------------------------------------------------------------------- arithmetic

ITEMS = ["muffins", "sandwiches", "notebooks", "tickets", "candles", "plants", "mugs", "posters"]
NAMES = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Iris", "Jonas", "Kemal", "Lena"]


def unit_price_total(r):
    n, p, d = r.randint(12, 60), cents(r, 1, 6), r.randint(3, 21)
    item = r.choice(ITEMS)
    q = f"A shop sells {n} {item} a day at ${show(p)} each. How much money does it make in {d} days?"
    return q, "", money(n * p * d)


def discount(r):
    price, pct = r.randint(20, 400), r.choice([5, 10, 15, 20, 25, 30, 35, 40])
    item = r.choice(["jacket", "bicycle", "lamp", "backpack", "chair", "camera"])
    q = f"A {item} costs ${price} and is on sale for {pct}% off. What is the sale price in dollars?"
    return q, "", money(Fraction(price) * (100 - pct) / 100)


def compound_interest(r):
    p, rate, years = r.choice([500, 800, 1000, 1500, 2000, 2500]), r.choice([2, 3, 4, 5, 6]), r.randint(2, 8)
    q = (f"You deposit ${p} in an account that pays {rate}% interest per year, compounded yearly. "
         f"How much money is in the account after {years} years? Round to the nearest cent.")
    return q, "", money(Fraction(p) * Fraction(100 + rate, 100) ** years)


def mean_of_scores(r):
    scores = [r.randint(55, 100) for _ in range(r.randint(4, 6))]
    q = f"{r.choice(NAMES)} scored {', '.join(map(str, scores[:-1]))} and {scores[-1]} on the quizzes. What is the mean score?"
    return q, "", fmt(Fraction(sum(scores), len(scores)))


def lcm_schedule(r):
    a, b = r.sample([6, 8, 9, 10, 12, 14, 15, 16, 18, 20, 24, 25, 30], 2)
    q = (f"Bus A leaves the station every {a} minutes and bus B every {b} minutes. Both leave together now. "
         f"In how many minutes will they next leave together?")
    return q, "", str(math.lcm(a, b))


def prime_sum(r):
    n = r.randint(20, 120)
    primes = [k for k in range(2, n) if all(k % d for d in range(2, int(k ** 0.5) + 1))]
    return f"What is the sum of all prime numbers less than {n}?", "", str(sum(primes))


def percent_change(r):
    a = r.randint(1000, 9000)
    b = a + r.randint(-a // 3, a // 2)
    q = (f"The population of a town changed from {a} to {b}. By what percent did it change? "
         f"Give a negative percent for a decrease, rounded to two decimal places.")
    return q, "", fmt(Fraction(b - a, a) * 100, 2) + "%"


def tip_split(r):
    bill, tip, people = cents(r, 30, 240), r.choice([10, 15, 18, 20]), r.randint(2, 6)
    q = (f"A dinner bill is ${show(bill)}. The group adds a {tip}% tip and splits the total equally among "
         f"{people} people. How much does each person pay? Round to the nearest cent.")
    return q, "", money(bill * Fraction(100 + tip, 100) / people)


# ----------------------------------------------------------------------------- algebra

def _signed(k: int) -> str:
    return f"+ {k}" if k >= 0 else f"- {-k}"


def linear_equation(r):
    a, x, b = r.choice([2, 3, 4, 5, 6, 7, 8, 9]), r.randint(-12, 20), r.randint(-30, 30)
    return f"Solve for x: {a}x {_signed(b)} = {a * x + b}.", "", str(x)


def linear_system(r):
    while True:
        x, y = r.randint(-9, 12), r.randint(-9, 12)
        a, b, d, e = (r.randint(1, 6) for _ in range(4))
        if a * e - b * d:
            break
    c = lambda k: "" if k == 1 else str(k)  # noqa: E731 - "x", not "1x"
    q = f"If {c(a)}x + {c(b)}y = {a * x + b * y} and {c(d)}x + {c(e)}y = {d * x + e * y}, what is the value of x?"
    return q, "", str(x)


def quadratic_root(r):
    p, q_ = r.sample(range(-9, 13), 2)
    b, c = -(p + q_), p * q_
    return f"What is the larger root of the equation x^2 {_signed(b)}x {_signed(c)} = 0?", "", str(max(p, q_))


def arithmetic_series(r):
    a, d, n = r.randint(1, 20), r.randint(2, 9), r.randint(8, 40)
    terms = ", ".join(str(a + k * d) for k in range(3))
    q = f"What is the sum of the first {n} terms of the arithmetic sequence {terms}, ...?"
    return q, "", str(n * (2 * a + (n - 1) * d) // 2)


def geometric_term(r):
    a, ratio, n = r.randint(1, 9), r.choice([2, 3, -2, 4]), r.randint(5, 11)
    q = f"A geometric sequence starts with {a} and each term is {ratio} times the one before. What is term number {n}?"
    return q, "", str(a * ratio ** (n - 1))


def proportional_distance(r):
    speed, t1, t2 = r.randint(40, 120), r.randint(2, 5), r.randint(3, 9)
    q = (f"A train travels {speed * t1} km in {t1} hours. At the same speed, how many kilometers does it "
         f"travel in {t2} hours?")
    return q, "", f"{speed * t2} km"


def work_rate(r):
    a, b = r.sample([2, 3, 4, 5, 6, 8, 10, 12], 2)
    q = (f"One pipe fills a tank in {a} hours and another fills it in {b} hours. How many hours do both "
         f"pipes take together? Round to two decimal places.")
    return q, "", fmt(Fraction(a * b, a + b), 2)


# ----------------------------------------------------------------------------- tables (TabMWP-like)

GOODS = ["pencil case", "stapler", "glue stick", "ruler", "marker set", "sketchbook", "eraser", "calculator"]


def _table(header, rows) -> str:
    return "\n".join(" | ".join(map(str, row)) for row in [header, *rows])


def table_purchase(r):
    goods = r.sample(GOODS, 5)
    prices = {g: cents(r, 1, 15) for g in goods}
    a, b = r.sample(goods, 2)
    qa, qb = r.randint(1, 5), r.randint(1, 5)
    table = _table(["Item", "Price"], [[g, f"${show(prices[g])}"] for g in goods])
    q = f"How much would it cost to buy {qa} {a}{'s' if qa > 1 else ''} and {qb} {b}{'s' if qb > 1 else ''}?"
    return q, table, money(qa * prices[a] + qb * prices[b])


def _named_counts(r, low, high):
    names = r.sample(NAMES, r.randint(5, 7))
    return names, [r.randint(low, high) for _ in names]


def table_mean(r):
    names, values = _named_counts(r, 2, 40)
    table = _table(["Name", "Books read"], zip(names, values))
    return "What is the mean number of books read? Round to two decimal places if needed.", table, \
        fmt(Fraction(sum(values), len(values)), 2)


def table_median(r):
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][:r.choice([5, 7])]
    values = [r.randint(10, 90) for _ in days]
    table = _table(["Day", "Number of visitors"], zip(days, values))
    s = sorted(values)
    mid = len(s) // 2
    return "What is the median number of visitors?", table, fmt(Fraction(s[mid]) if len(s) % 2 else Fraction(s[mid - 1] + s[mid], 2))


def table_range(r):
    names, values = _named_counts(r, 100, 900)
    table = _table(["Student", "Points"], zip(names, values))
    return "What is the range of the points?", table, str(max(values) - min(values))


def table_difference(r):
    names, values = _named_counts(r, 5, 95)
    i, j = r.sample(range(len(names)), 2)
    if values[i] < values[j]:
        i, j = j, i
    table = _table(["Name", "Stickers"], zip(names, values))
    return f"How many more stickers does {names[i]} have than {names[j]}?", table, str(values[i] - values[j])


def table_rate_of_change(r):
    start = r.randint(2010, 2018)
    years = list(range(start, start + 5))
    values = [r.randint(20, 200) for _ in years]
    i, j = sorted(r.sample(range(5), 2))
    table = _table(["Year", "Trees planted"], zip(years, values))
    q = f"What was the rate of change in trees planted per year between {years[i]} and {years[j]}?"
    return q, table, fmt(Fraction(values[j] - values[i], years[j] - years[i]), 2)


def table_count_at_least(r):
    names, values = _named_counts(r, 40, 100)
    cut = r.choice([60, 65, 70, 75, 80])
    table = _table(["Runner", "Laps"], zip(names, values))
    return f"How many runners ran at least {cut} laps?", table, str(sum(v >= cut for v in values))


# ----------------------------------------------------------------------------- dates

def _day(r, low=1990, high=2030) -> dt.date:
    return dt.date(low, 1, 1) + dt.timedelta(days=r.randint(0, (dt.date(high, 12, 31) - dt.date(low, 1, 1)).days))


def _long(d: dt.date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def days_between(r):
    a = _day(r)
    b = a + dt.timedelta(days=r.randint(10, 900))
    return f"How many days are there from {_long(a)} to {_long(b)}?", "", str((b - a).days)


def weekday_of(r):
    d = _day(r)
    return f"On what day of the week was {_long(d)}?", "", f"{d:%A}"


def date_after(r):
    d, n = _day(r), r.randint(20, 400)
    return f"What date is {n} days after {_long(d)}? Answer as YYYY-MM-DD.", "", (d + dt.timedelta(days=n)).isoformat()


def age_on(r):
    born = _day(r, 1940, 2005)
    on = _day(r, 2010, 2030)
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return f"Someone was born on {_long(born)}. How old are they, in whole years, on {_long(on)}?", "", str(years)


def weeks_between(r):
    a = _day(r)
    b = a + dt.timedelta(days=r.randint(30, 700))
    return f"How many whole weeks are there between {_long(a)} and {_long(b)}?", "", str((b - a).days // 7)


# ----------------------------------------------------------------------------- units

def km_to_miles(r):
    km = r.randint(3, 500)
    return f"How many miles is {km} kilometers? Round to two decimal places.", "", \
        fmt(Fraction(km * 1000) / Fraction(1609344, 1000), 2) + " miles"


def fahrenheit_to_celsius(r):
    f = r.randint(-20, 110)
    return f"What is {f} degrees Fahrenheit in degrees Celsius? Round to two decimal places.", "", \
        fmt((Fraction(f) - 32) * 5 / 9, 2)


def kg_to_pounds(r):
    kg = r.randint(2, 120)
    return f"A suitcase weighs {kg} kg. How many pounds is that? Round to two decimal places.", "", \
        fmt(Fraction(kg * 1000) / Fraction(45359237, 100000), 2) + " lb"


def kmh_to_ms(r):
    v = r.randint(10, 180)
    return f"A car drives at {v} km/h. What is its speed in meters per second? Round to two decimal places.", "", \
        fmt(Fraction(v * 1000, 3600), 2) + " m/s"


def liters_to_gallons(r):
    liters = r.randint(5, 300)
    return f"A tank holds {liters} liters. How many US gallons is that? Round to two decimal places.", "", \
        fmt(Fraction(liters) / Fraction(3785411784, 10 ** 9), 2)


def area_square_feet(r):
    a, b = r.randint(2, 12), r.randint(2, 12)
    return f"A room is {a} m long and {b} m wide. What is its area in square feet? Round to two decimal places.", "", \
        fmt(Fraction(a * b) / Fraction(3048, 10000) ** 2, 2)


# ----------------------------------------------------------------------------- multistep (harder)
# Several steps or some parsing each: a monthly rate and a month count made from yearly figures,
# a calendar walked, clock times or a numeral read from text. A 1.5B model's first tool often
# raises or answers wrongly here, so rectification has something to do.

def loan_payment(r):
    p, rate, years = r.choice([5000, 8000, 12000, 15000, 20000, 25000]), r.choice([3, 4, 5, 6, 7, 8]), r.randint(2, 6)
    q = (f"A loan of ${p:,} is repaid in equal monthly payments over {years} years at {rate}% annual interest, "
         f"compounded monthly. What is the monthly payment? Round to the nearest cent.")
    i, n = Fraction(rate, 1200), 12 * years
    return q, "", money(p * i / (1 - (1 + i) ** -n))


def monthly_savings(r):
    deposit, rate, years = r.choice([50, 100, 150, 200, 250, 300]), r.choice([2, 3, 4, 5, 6]), r.randint(2, 10)
    q = (f"You put ${deposit} into a savings account at the end of every month. The account pays {rate}% a year, "
         f"compounded monthly. How much is in the account after {years} years? Round to the nearest cent.")
    i, n = Fraction(rate, 1200), 12 * years
    return q, "", money(deposit * ((1 + i) ** n - 1) / i)


ORDINALS = ["first", "second", "third", "fourth", "last"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def nth_weekday(r):
    year, month, weekday, nth = r.randint(2000, 2035), r.randint(1, 12), r.randrange(7), r.choice(ORDINALS)
    days = [d for d in range(1, 32) if d <= calendar.monthrange(year, month)[1]
            and calendar.weekday(year, month, d) == weekday]
    day = days[-1] if nth == "last" else days[ORDINALS.index(nth)]
    q = f"What is the date of the {nth} {DAY_NAMES[weekday]} of {calendar.month_name[month]} {year}? Answer as YYYY-MM-DD."
    return q, "", dt.date(year, month, day).isoformat()


def weekdays_between(r):
    a = _day(r, 2000, 2030)
    b = a + dt.timedelta(days=r.randint(10, 120))
    n = sum((a + dt.timedelta(days=k)).weekday() < 5 for k in range((b - a).days + 1))
    q = f"How many weekdays (Monday to Friday) are there from {_long(a)} to {_long(b)}, counting both dates?"
    return q, "", str(n)


def _clock(minutes: int) -> str:
    h, m = divmod(minutes % (24 * 60), 60)
    return f"{(h - 1) % 12 + 1}:{m:02d} {'AM' if h < 12 else 'PM'}"


def shift_minutes(r):
    start = r.randrange(0, 24 * 60, 5)
    length = r.randrange(35, 14 * 60, 5)
    end = start + length
    nextday = " the next day" if end >= 24 * 60 else ""
    q = f"A shift starts at {_clock(start)} and ends at {_clock(end)}{nextday}. How many minutes long is the shift?"
    return q, "", str(length)


ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
         (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def roman_sum(r):
    a, b = r.randint(40, 2000), r.randint(40, 1999)
    q = f"What is {_roman(a)} plus {_roman(b)}? The two numbers are Roman numerals; answer with an ordinary number."
    return q, "", str(a + b)


# ----------------------------------------------------------------------------- the set

SKILLS = {  # skill → (category, grouped)
    unit_price_total: ("arithmetic", True), discount: ("arithmetic", True), compound_interest: ("arithmetic", True),
    mean_of_scores: ("arithmetic", False), lcm_schedule: ("arithmetic", True), prime_sum: ("arithmetic", False),
    percent_change: ("arithmetic", True), tip_split: ("arithmetic", False),
    linear_equation: ("algebra", True), linear_system: ("algebra", True), quadratic_root: ("algebra", True),
    arithmetic_series: ("algebra", False), geometric_term: ("algebra", False),
    proportional_distance: ("algebra", False), work_rate: ("algebra", True),
    table_purchase: ("tables", True), table_mean: ("tables", True), table_median: ("tables", True),
    table_range: ("tables", False), table_difference: ("tables", True), table_rate_of_change: ("tables", True),
    table_count_at_least: ("tables", False),
    days_between: ("dates", True), weekday_of: ("dates", True), date_after: ("dates", True), age_on: ("dates", False),
    weeks_between: ("dates", False),
    km_to_miles: ("units", True), fahrenheit_to_celsius: ("units", True), kg_to_pounds: ("units", False),
    kmh_to_ms: ("units", True), liters_to_gallons: ("units", False), area_square_feet: ("units", True),
    loan_payment: ("multistep", True), monthly_savings: ("multistep", True), nth_weekday: ("multistep", True),
    weekdays_between: ("multistep", True), shift_minutes: ("multistep", True), roman_sum: ("multistep", True),
}


def build() -> list[dict]:
    r = random.Random(SEED)
    problems = []
    for skill, (category, grouped) in SKILLS.items():
        name = skill.__name__
        for k in range(4 if grouped else 3):
            question, table, answer = skill(r)
            group = f"{category}/{name}" if grouped and k < 3 else ""
            problems.append({"id": f"{category}/{name}/{k + 1}", "question": question, "table": table,
                             "answer": answer, "group": group, "category": category})
    return problems


def render(problems: list[dict]) -> str:
    return "".join(json.dumps(p, ensure_ascii=False, sort_keys=False) + "\n" for p in problems)


def main(argv: list[str]) -> int:
    text = render(build())
    if "--check" in argv:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT}: {'up to date' if same else 'differs from what the builder writes'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} problems to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
