"""A small set of realistic rows in the chat contract, made with builders/chat.py, for the template tests."""

from __future__ import annotations

import json

from builders import chat

CALCULATOR = chat.tool_entry({"name": "calculator", "description": "Evaluate an arithmetic expression.",
                              "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                                             "required": ["expression"]}})
CONVERT = chat.tool_entry({"name": "convert_units", "description": "Convert a quantity between units.",
                           "parameters": {"type": "object", "properties": {
                               "value": {"type": "number"}, "from_unit": {"type": "string"},
                               "to_unit": {"type": "string"}}, "required": ["value", "from_unit", "to_unit"]}})
SEARCH = chat.tool_entry({"name": "search_places", "description": "Find places in a city that match filters.",
                          "parameters": {"type": "object", "properties": {
                              "city": {"type": "string"},
                              "filters": {"type": "object", "properties": {
                                  "tags": {"type": "array", "items": {"type": "string"}},
                                  "rating": {"type": "object", "properties": {"min": {"type": "number"},
                                                                               "max": {"type": "number"}}}}}},
                              "required": ["city"]}})
NOW = chat.tool_entry({"name": "current_time", "description": "The current UTC time.",
                       "parameters": {"type": "object", "properties": {}}})


def _id(row, n):
    return chat.call_id("examples", row, n)


def single_call():
    i = _id("single", 0)
    return [chat.user("What is 17 * 23 + 4?"),
            chat.tool_call(i, "calculator", {"expression": "17 * 23 + 4"}),
            chat.tool_result(i, "calculator", "395"),
            chat.assistant("17 × 23 + 4 is 395.")], [CALCULATOR]


def two_calls():
    a, b = _id("two", 0), _id("two", 1)
    return [chat.system("You are a careful assistant. Use the tools."),
            chat.user("How many feet are 12.5 metres, and that times 3?"),
            chat.tool_call(a, "convert_units", {"value": 12.5, "from_unit": "m", "to_unit": "ft"}),
            chat.tool_result(a, "convert_units", json.dumps({"value": 41.0105, "unit": "ft"})),
            chat.tool_call(b, "calculator", {"expression": "41.0105 * 3"}),
            chat.tool_result(b, "calculator", "123.0315"),
            chat.assistant("12.5 m is about 41.01 ft; three times that is about 123.03 ft.")], [CONVERT, CALCULATOR]


def nested_non_ascii():
    i = _id("nested", 0)
    args = {"city": "Zürich", "filters": {"tags": ["café", "日本料理"], "rating": {"min": 4.5, "max": 5}}}
    result = json.dumps([{"name": "Café Zähringer", "rating": 4.6}, {"name": "寿司 Ooki", "rating": 4.8}],
                        ensure_ascii=False)
    return [chat.user("Find well-rated cafés or Japanese places in Zürich."),
            chat.tool_call(i, "search_places", args),
            chat.tool_result(i, "search_places", result),
            chat.assistant("Café Zähringer (4.6) and 寿司 Ooki (4.8) match.")], [SEARCH, CALCULATOR]


def no_parameters():
    i = _id("noparams", 0)
    return [chat.user("What time is it in UTC?"),
            chat.tool_call(i, "current_time", {}),
            chat.tool_result(i, "current_time", "2025-03-01T12:00:00Z"),
            chat.assistant("It is 12:00 UTC.")], [NOW]


def cut_observation():
    i = _id("cut", 0)
    big = json.dumps({"city": "Zürich", "results": [{"name": f"Place {k}", "rating": 4 + k % 10 / 10,
                                                     "tags": ["café", "bar"]} for k in range(400)]},
                     ensure_ascii=False)
    text, cut = chat.bound_observation(big)
    assert cut
    return [chat.user("List every café in Zürich."),
            chat.tool_call(i, "search_places", {"city": "Zürich", "filters": {"tags": ["café"]}}),
            chat.tool_result(i, "search_places", text),
            chat.assistant("Place 0 (4.0) and Place 1 (4.1) are the first of many.")], [SEARCH]


ROWS = {f.__name__: f for f in (single_call, two_calls, nested_non_ascii, no_parameters, cut_observation)}


def role_rows():
    """α-UMi role rows (backbone, planner, caller, summarizer) sliced from one trajectory: a failed
    call, two that ran, the answer. Observations are what the built-in tools return."""
    from builders.methods.roles import rows
    from builders.methods.roles.records import Step, Trajectory
    from builders.tools import builtin_tools

    tools = builtin_tools()
    steps = [
        Step(thought="First I add 3 days to February 27, 2024.", next="caller", name="date_arithmetic",
             arguments={"start": "2024-02-30", "days": 3}, status="invalid", reason="invalid_arguments",
             observation="invalid arguments: start: '2024-02-30' is not a 'date'"),
        Step(thought="That date does not exist, so I start from 2024-02-27.", next="caller", name="date_arithmetic",
             arguments={"start": "2024-02-27", "days": 3}, status="ok",
             observation='{"start": "2024-02-27", "days_added": 3, "date": "2024-03-01", "weekday": "Friday"}'),
        Step(thought="Now I look up the ISO week of 2024-03-01.", next="caller", name="date_info",
             arguments={"date": "2024-03-01"}, status="ok",
             observation='{"date": "2024-03-01", "weekday": "Friday", "iso_week": 9, "iso_year": 2024, '
                         '"day_of_year": 61, "quarter": 1, "is_leap_year": true, "days_in_month": 31, '
                         '"is_weekend": false}'),
        Step(thought="Both results are known, so I can answer.", next="conclusion"),
    ]
    traj = Trajectory(id="examples-roles-0", kind="domain", tool_names=["date_arithmetic", "date_info"],
                      query="What date is 3 days after February 27, 2024, and in which ISO week is it?",
                      steps=steps, final_answer="3 days after February 27, 2024 is Friday, 2024-03-01, in ISO week 9.",
                      outcome="conclusion",
                      tools=[chat.tool_entry(tools[n].spec()) for n in ("date_arithmetic", "date_info")])
    return rows.from_trajectory(traj)
