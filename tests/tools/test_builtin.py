"""The built-in catalogue: every tool called through the real sandbox once, and its logic directly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from builders.tools import builtin_tools, validate_arguments
from builders.tools.builtin import arithmetic, dates, finance, geography, knowledge, records, sql, text, units
from builders.tools.spec import check_definition
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
TOOLS = builtin_tools()

# One valid call per tool, run through the sandbox, and a check of the value it returns.
CASES = {
    "calculator": ({"expression": "(12.5 * 4) / 2 + sqrt(16)"}, lambda v: v == 29),
    "describe_numbers": ({"numbers": [2, 4, 4, 4, 5, 5, 7, 9]}, lambda v: v["mean"] == 5 and v["mode"] == [4]),
    "percentile": ({"numbers": [1, 2, 3, 4], "p": 50}, lambda v: v["value"] == 2.5),
    "linear_regression": ({"points": [{"x": 0, "y": 1}, {"x": 1, "y": 3}, {"x": 2, "y": 5}], "predict_x": 10},
                          lambda v: v["slope"] == 2 and v["intercept"] == 1 and v["predicted_y"] == 21),
    "prime_factors": ({"n": 360}, lambda v: v["factors"] == [2, 2, 2, 3, 3, 5] and not v["is_prime"]),
    "gcd_lcm": ({"numbers": [12, 18, 30]}, lambda v: (v["gcd"], v["lcm"]) == (6, 180)),
    "convert_units": ({"value": 100, "from_unit": "C", "to_unit": "F"}, lambda v: v["value"] == 212),
    "convert_number_base": ({"value": "ff", "from_base": 16, "to_base": 2}, lambda v: v["value"] == "11111111"),
    "int_to_roman": ({"number": 1994}, lambda v: v["roman"] == "MCMXCIV"),
    "roman_to_int": ({"numeral": "mmxxiv"}, lambda v: v["number"] == 2024),
    "date_arithmetic": ({"start": "2024-02-27", "days": 3}, lambda v: v["date"] == "2024-03-01"),
    "date_info": ({"date": "2024-12-30"}, lambda v: v["iso_week"] == 1 and v["weekday"] == "Monday"),
    "business_days": ({"start": "2024-12-23", "end": "2025-01-06", "holidays": ["2024-12-25", "2025-01-01"]},
                      lambda v: v["business_days"] == 8),
    "month_calendar": ({"year": 2024, "month": 2}, lambda v: v["weeks"][0] == [0, 0, 0, 1, 2, 3, 4] and v["days"] == 29),
    "text_stats": ({"text": "The cat sat. The cat ran!"}, lambda v: v["words"] == 6 and v["sentences"] == 2),
    "regex_search": ({"pattern": r"(\d{4})-(\d{2})", "text": "from 2023-01 to 2024-06"},
                     lambda v: v["count"] == 2 and v["matches"][1]["groups"] == ["2024", "06"]),
    "regex_replace": ({"pattern": r"\s+", "replacement": " ", "text": "a   b \t c"}, lambda v: v["text"] == "a b c"),
    "change_case": ({"text": "Hello big World", "style": "snake"}, lambda v: v["text"] == "hello_big_world"),
    "edit_distance": ({"a": "kitten", "b": "sitting"}, lambda v: v["distance"] == 3),
    "hash_text": ({"text": "abc"}, lambda v: v["hex"].startswith("ba7816bf")),
    "loan_payment": ({"principal": 200000, "annual_rate_percent": 6, "years": 30}, lambda v: v["payment"] == 1199.1),
    "compound_interest": ({"principal": 1000, "annual_rate_percent": 5, "years": 10, "compounds_per_year": 1},
                          lambda v: v["final_balance"] == 1628.89),
    "cash_flow_analysis": ({"cash_flows": [-1000, 500, 500, 500], "discount_rate_percent": 10},
                           lambda v: v["npv"] == 243.43 and abs(v["irr_percent"] - 23.3752) < 0.01),
    "percent_change": ({"old": 80, "new": 100}, lambda v: v["percent"] == 25 and v["direction"] == "up"),
    "split_bill": ({"items": [{"person": "Ana", "price": 30}, {"person": "Bo", "price": 10}], "tip_percent": 10},
                   lambda v: v["per_person"] == {"Ana": 33.0, "Bo": 11.0} and v["total"] == 44.0),
    "find_city": ({"name": "Sao Paulo"}, lambda v: v["matches"][0]["country"] == "BR"),
    "city_distance": ({"from_city": "London", "to_city": "Paris"}, lambda v: 330 < v["distance"] < 350),
    "cities_near": ({"latitude": 52.52, "longitude": 13.40, "radius_km": 50, "limit": 1},
                    lambda v: v["cities"][0]["name"] == "Berlin"),
    "country_info": ({"country": "JP"}, lambda v: v["capital"] == "Tokyo" and v["currency"] == "JPY"),
    "list_countries": ({"continent": "SA", "sort_by": "population", "limit": 1}, lambda v: v["countries"][0]["code"] == "BR"),
    "sql_query": ({"query": "SELECT COUNT(*) AS n FROM books WHERE genre = 'mystery'"}, lambda v: v["rows"] == [[3]]),
    "list_tables": ({}, lambda v: [t["table"] for t in v["tables"]] == ["authors", "books", "customers", "orders"]),
    "describe_table": ({"table": "books", "sample_rows": 1}, lambda v: v["sample"][0][1] == "Pride and Prejudice"),
    "search_knowledge": ({"query": "leap year divisible by 400"}, lambda v: v["results"][0]["id"] == "kb-012"),
    "get_article": ({"article_id": "kb-001"}, lambda v: v["title"] == "Speed of light"),
    "json_get": ({"data": {"a": {"b": [10, {"c": "x"}]}}, "path": "a.b[1].c"}, lambda v: v["value"] == "x"),
    "parse_csv": ({"text": "name;age\nAna;31", "delimiter": ";"}, lambda v: v["records"] == [{"name": "Ana", "age": 31}]),
    "to_csv": ({"records": [{"a": 1, "b": 2}, {"a": 3}]}, lambda v: v["csv"] == "a,b\n1,2\n3,\n"),
    "sort_records": ({"records": [{"n": 2}, {"n": 1}, {"m": 0}], "key": "n"},
                     lambda v: v["records"] == [{"n": 1}, {"n": 2}, {"m": 0}]),
    "filter_records": ({"records": [{"city": "Oslo"}, {"city": "Lagos"}], "field": "city", "operator": "contains",
                        "value": "SL"}, lambda v: v["records"] == [{"city": "Oslo"}]),
    "group_aggregate": ({"records": [{"g": "a", "v": 1}, {"g": "a", "v": 2}, {"g": "b", "v": 5}], "group_by": "g",
                         "aggregate": "sum", "field": "v"}, lambda v: v["groups"] == [{"g": "a", "sum": 3}, {"g": "b", "sum": 5}]),
}


def test_catalogue_size_and_domains():
    domains = Counter(t.domain for t in TOOLS.values())
    assert len(TOOLS) >= 30
    assert len(domains) >= 6 and all(n >= 2 for n in domains.values())


def test_every_tool_has_a_sandbox_case():
    assert set(CASES) == set(TOOLS)


def test_specs_are_sound():
    schema = json.loads((ROOT / "schemas" / "tool.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    kinds = Counter()
    for tool in TOOLS.values():
        assert not check_definition(tool.name, tool.description, tool.parameters), tool.name
        assert not list(validator.iter_errors(tool.to_dict())), tool.name
        assert tool.version and len(tool.description) < 400, tool.name
        assert tool.parameters.get("additionalProperties") is False, tool.name
        json.dumps(tool.spec())
        for prop in tool.parameters["properties"].values():
            kinds[prop.get("type", "any")] += 1
            kinds["enum"] += "enum" in prop
        kinds["optional"] += len(tool.parameters["properties"]) > len(tool.parameters["required"])
    # the variety the data needs: arrays, objects, enums, optional parameters
    assert kinds["array"] >= 8 and kinds["object"] >= 1 and kinds["enum"] >= 10 and kinds["optional"] >= 15


def test_examples_are_valid_calls():
    for tool in TOOLS.values():
        for example in tool.examples:
            assert validate_arguments(tool, example["arguments"]) == [], tool.name


def test_case_arguments_are_valid():
    for name, (arguments, _) in CASES.items():
        assert validate_arguments(TOOLS[name], arguments) == [], name


@pytest.fixture(scope="module")
def box():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.mark.parametrize("name", sorted(CASES))
def test_tool_through_sandbox(box, name):
    arguments, check = CASES[name]
    result = box.call_tool(TOOLS[name].target, arguments)
    assert result["status"] == "ok", result.get("message")
    assert check(result["value"]), result["value"]


def test_errors_through_sandbox(box):
    result = box.call_tool(TOOLS["sql_query"].target, {"query": "DELETE FROM books"})
    assert result["status"] == "error" and result["exc_type"] == "ValueError"
    assert "only SELECT" in result["message"]


# ----------------------------------------------------------------- logic and documented error cases

def raises(fn, match, **kwargs):
    with pytest.raises(ValueError, match=match):
        fn(**kwargs)


def test_arithmetic():
    assert arithmetic.calculator("2 ^ 10") == 1024
    assert arithmetic.calculator("round(pi, 2)") == 3.14
    raises(arithmetic.calculator, "division by zero", expression="1/0")
    raises(arithmetic.calculator, "unsupported", expression="__import__('os')")
    raises(arithmetic.calculator, "not an arithmetic", expression="2 +")
    raises(arithmetic.calculator, "exponent", expression="2 ** 10000")
    raises(arithmetic.calculator, "math domain", expression="sqrt(-1)")
    assert arithmetic.describe_numbers([5])["stdev"] is None
    raises(arithmetic.describe_numbers, "empty", numbers=[])
    assert arithmetic.percentile([1, 2, 3, 4], 50, "lower")["value"] == 2
    assert arithmetic.percentile([1, 2, 3, 4], 100)["value"] == 4
    raises(arithmetic.percentile, "between", numbers=[1], p=101)
    raises(arithmetic.linear_regression, "equal", points=[{"x": 1, "y": 1}, {"x": 1, "y": 2}])
    assert arithmetic.linear_regression([{"x": 0, "y": 2}, {"x": 1, "y": 2}])["r_squared"] == 1
    assert arithmetic.prime_factors(97)["is_prime"] is True
    assert arithmetic.prime_factors(2**39)["powers"] == {"2": 39}
    raises(arithmetic.prime_factors, "between", n=1)
    raises(arithmetic.gcd_lcm, "zero", numbers=[0, 3])
    raises(arithmetic.gcd_lcm, "at least two", numbers=[3])


def test_units():
    assert units.convert_units(1, "mi", "km")["value"] == 1.609344
    assert units.convert_units(0, "K", "C")["value"] == -273.15
    raises(units.convert_units, "different dimensions", value=1, from_unit="kg", to_unit="m")
    raises(units.convert_units, "unknown unit", value=1, from_unit="parsec", to_unit="m")
    assert units.convert_number_base("-0b1011", 2, 10)["value"] == "-11"
    assert units.convert_number_base("0", 10, 16)["value"] == "0"
    raises(units.convert_number_base, "not a base-8", value="9", from_base=8, to_base=10)
    assert units.int_to_roman(3999)["roman"] == "MMMCMXCIX"
    raises(units.int_to_roman, "1 to 3999", number=4000)
    raises(units.roman_to_int, "well-formed", numeral="IIII")
    raises(units.roman_to_int, "not a Roman", numeral="ABC")


def test_dates():
    assert dates.date_arithmetic("2024-01-01", end="2024-12-31")["days_between"] == 365
    raises(dates.date_arithmetic, "YYYY-MM-DD", start="01/02/2024")
    raises(dates.date_arithmetic, "out of range", start="9999-12-31", days=5)
    info = dates.date_info("2023-02-15")
    assert info["days_in_month"] == 28 and not info["is_leap_year"] and info["quarter"] == 1
    raises(dates.date_info, "YYYY-MM-DD", date="2023-02-30")
    assert dates.business_days("2024-06-01", "2024-06-01")["business_days"] == 0
    raises(dates.business_days, "before start", start="2024-06-02", end="2024-06-01")
    assert dates.month_calendar(2024, 9, "sunday")["weekdays"][0] == "Sun"
    raises(dates.month_calendar, "month", year=2024, month=13)


def test_text():
    assert text.text_stats("")["words"] == 0
    assert text.text_stats("a b a")["most_common"][0] == {"word": "a", "count": 2}
    assert text.regex_search("x", "XxX", ["ignorecase"], 2)["truncated"] is True
    raises(text.regex_search, "invalid regular expression", pattern="(", text="")
    assert text.regex_replace(r"(\w+)@(\w+)", r"\2 at \1", "me@home")["text"] == "home at me"
    raises(text.regex_replace, "invalid replacement", pattern="a", replacement=r"\9", text="a")
    assert text.change_case("parse HTTP response", "camel")["text"] == "parseHttpResponse"
    assert text.change_case("Hello World", "kebab")["text"] == "hello-world"
    assert text.change_case("hELLO", "sentence")["text"] == "Hello"
    assert text.edit_distance("Abc", "abc", ignore_case=True)["similarity"] == 1
    assert text.edit_distance("", "")["distance"] == 0
    assert text.hash_text("abc", "md5")["hex"] == "900150983cd24fb0d6963f7d28e17f72"


def test_finance():
    loan = finance.loan_payment(1200, 0, 1, include_schedule=True)
    assert loan["payment"] == 100 and len(loan["schedule"]) == 12 and loan["schedule"][-1]["balance"] == 0
    raises(finance.loan_payment, "1 to 600", principal=1000, annual_rate_percent=5, years=51)
    raises(finance.loan_payment, "positive", principal=0, annual_rate_percent=5, years=1)
    grown = finance.compound_interest(0, 0, 1, 12, 100)
    assert grown["final_balance"] == 1200 and grown["interest_earned"] == 0
    assert finance.cash_flow_analysis([100, 100], 5)["irr_percent"] is None
    assert finance.cash_flow_analysis([-100, 50, 50, 50], 0)["payback_years"] == 2
    raises(finance.percent_change, "undefined", old=0, new=5)
    raises(finance.split_bill, "negative", items=[{"person": "A", "price": -1}])


def test_geography():
    assert geography.find_city("paris", "france")["matches"][0]["country"] == "FR"
    assert geography.find_city("Valencia, VE")["matches"][0]["country"] == "VE"
    raises(geography.find_city, "no city", name="Atlantis")
    # the names people use for cities the gazetteer names longer (the 1.5B's STE queries failed on both),
    # and a near miss is named in the error, so a trial can correct it
    assert geography.city_distance("Paris", "New York")["to"] == "New York City, US"
    assert geography.find_city("Frankfurt")["matches"][0]["name"] == "Frankfurt am Main"
    raises(geography.find_city, "did you mean 'Paris'", name="Pariss")
    raises(geography.find_city, "no city", name="York")  # a word, not the start of a name
    raises(geography.find_city, "unknown country", name="Paris", country="Narnia")
    assert geography.city_distance("New York City", "Los Angeles", "mi")["distance"] == pytest.approx(2450, abs=30)
    raises(geography.cities_near, "latitude", latitude=95, longitude=0)
    assert geography.cities_near(0, -160, 100)["count"] == 0
    assert "Germany" in geography.country_info("France")["neighbours"]
    assert geography.list_countries("EU", "area_km2", 1)["countries"][0]["code"] == "RU"


def test_sql():
    out = sql.sql_query("SELECT a.name, COUNT(*) FROM books b JOIN authors a ON a.id = b.author_id "
                        "GROUP BY a.name ORDER BY 2 DESC, 1 LIMIT 1")
    assert out["rows"] == [["Charles Dickens", 4]]
    assert sql.sql_query("SELECT id FROM orders", max_rows=5)["truncated"] is True
    raises(sql.sql_query, "SQL error", query="SELECT nope FROM books")
    raises(sql.sql_query, "readonly", query="WITH x AS (SELECT 1) DELETE FROM books")
    raises(sql.sql_query, "only SELECT", query="DROP TABLE books")
    raises(sql.describe_table, "unknown table", table="users")


def test_knowledge():
    assert knowledge.search_knowledge("SHA-256 digest", 1)["results"][0]["title"] == "Hash functions"
    assert all(r["topic"] == "finance" for r in knowledge.search_knowledge("rate", 5, "finance")["results"])
    assert knowledge.search_knowledge("zzzz")["count"] == 0
    raises(knowledge.search_knowledge, "no searchable", query="the of")
    raises(knowledge.get_article, "no article", article_id="kb-999")


def test_records():
    raises(records.json_get, "no key 'z'", data={"a": 1}, path="z")
    raises(records.json_get, "no \\[5\\]", data={"a": [1]}, path="a[5]")
    raises(records.json_get, "not a list", data={"a": 1}, path="a[0]")
    assert records.json_get({"a": [1, 2]}, "a[-1]")["value"] == 2
    assert records.json_get({"a": 1}, "")["value"] == {"a": 1}
    assert records.parse_csv("1,2\n3,4", has_header=False)["rows"] == [[1, 2], [3, 4]]
    raises(records.parse_csv, "row 2 has 3 fields", text="a,b\n1,2,3")
    assert records.parse_csv("a\n007", convert_numbers=False)["records"] == [{"a": "007"}]
    raises(records.to_csv, "JSON object", records=[1])
    raises(records.sort_records, "no record has", records=[{"a": 1}], key="b")
    assert records.sort_records([{"n": "b"}, {"n": 1}], "n")["count"] == 2  # mixed types sort as text
    raises(records.filter_records, "cannot compare", records=[{"a": "x"}], field="a", operator="lt", value=3)
    raises(records.group_aggregate, "needs a field", records=[{"a": 1}], group_by="a", aggregate="sum")
    raises(records.group_aggregate, "non-numeric", records=[{"a": 1, "v": "x"}], group_by="a", aggregate="max", field="v")
    assert records.group_aggregate([{"a": 1}, {"a": 1}], "a")["groups"] == [{"a": "1", "count": 2}]
