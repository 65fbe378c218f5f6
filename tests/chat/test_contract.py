"""The chat contract (builders/chat.py): the builders keep it, validate_messages names each breach,
and observations are bounded at a value boundary with a visible mark."""

import copy
import json
import re

import pytest

from builders import chat
from builders.chat import OBSERVATION_CHARS, bound_observation, validate_messages
from tests.chat.examples import ROWS


@pytest.mark.parametrize("name", sorted(ROWS))
def test_examples_keep_the_contract(name):
    messages, tools = ROWS[name]()
    assert validate_messages(messages, tools) == []


def test_call_id_is_stable_nine_alnum():
    ids = {chat.call_id("run", k) for k in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9]{9}", i) for i in ids)
    assert chat.call_id("run", 1) == chat.call_id("run", 1)


def test_parallel_calls_then_results_in_order():
    a, b = chat.call_id("p", 0), chat.call_id("p", 1)
    messages, tools = ROWS["two_calls"]()
    msgs = [messages[1], chat.tool_calls([(a, "calculator", {"expression": "1+1"}),
                                          (b, "convert_units", {"value": 1, "from_unit": "m", "to_unit": "ft"})]),
            chat.tool_result(a, "calculator", "2"), chat.tool_result(b, "convert_units", "3.28")]
    assert validate_messages(msgs, tools) == []
    swapped = msgs[:2] + [msgs[3], msgs[2]]
    assert any("tool_call_id" in p for p in validate_messages(swapped, tools))


def _breach(edit):
    messages, tools = copy.deepcopy(ROWS["two_calls"]())
    edit(messages, tools)
    return validate_messages(messages, tools)


def _set(path, value):
    def edit(messages, tools):
        target = messages
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


@pytest.mark.parametrize("edit, words", [
    (_set([1, "name"], None), "do not belong to a user message"),
    (_set([1, "tool_calls"], None), "do not belong to a user message"),
    (_set([6, "content"], None), "null, not a string"),
    (_set([2, "tool_calls"], None), "not a non-empty list"),
    (_set([2, "tool_calls", 0, "function", "arguments"], '{"value": 12.5}'), "a string, not an object"),
    (_set([2, "tool_calls", 0, "id"], "call_0"), "not 9 letters and digits"),
    (_set([2, "tool_calls", 0, "id"], "abc-12345"), "not 9 letters and digits"),
    (_set([2, "tool_calls", 0, "function", "name"], "weather"), "not among the tools"),
    (_set([3, "tool_call_id"], "ZZZZZZZZZ"), "tool_call_id"),
    (_set([3, "name"], "calculator"), "the call was to 'convert_units'"),
    (_set([2, "tool_calls", 0, "type"], "code"), "want 'function'"),
    (lambda m, t: m.pop(3), "must come next"),
    (lambda m, t: m.__delitem__(slice(5, None)), "has no result"),
    (lambda m, t: m.insert(1, chat.tool_result("AAAAAAAAA", "calculator", "1")), "answers no call"),
    (lambda m, t: m.insert(2, chat.system("late")), "only comes first"),
    (lambda m, t: m.__setitem__(4, {**m[2], "tool_calls": [dict(m[2]["tool_calls"][0])]}) or
     m.__setitem__(5, chat.tool_result(m[2]["tool_calls"][0]["id"], "convert_units", "x")), "used twice"),
    (lambda m, t: t.__setitem__(0, t[0]["function"]), "want {'type': 'function'"),
    (lambda m, t: t[0]["function"].__setitem__("parameters", "{}"), "not a JSON Schema of type object"),
    (lambda m, t: t[0]["function"].pop("description"), "exactly name, description and parameters"),
    (lambda m, t: m[1].__setitem__("role", "human"), "is not one of"),
])
def test_each_breach_is_named(edit, words):
    problems = _breach(edit)
    assert any(words in p for p in problems), problems


# --- observations -----------------------------------------------------------------------------------

def test_short_observation_stays_whole():
    text = json.dumps({"a": "x" * (OBSERVATION_CHARS - 20)})
    assert bound_observation(text) == (text, False)
    assert bound_observation("plain words") == ("plain words", False)


def test_long_json_list_is_cut_at_an_item_with_a_mark():
    items = [{"id": k, "name": f"item {k}", "tags": ["é", "ü"]} for k in range(1000)]
    text, cut = bound_observation(json.dumps(items, ensure_ascii=False))
    assert cut and len(text) <= OBSERVATION_CHARS
    value = json.loads(text)
    kept = value[:-1]
    assert kept == items[:len(kept)] and len(kept) > 50
    assert value[-1] == f"… ({1000 - len(kept)} more items cut)"


def test_long_json_object_keeps_valid_json_and_cuts_inside_its_big_member():
    obj = {"query": "cafés", "count": 400, "results": [{"name": f"Place {k}"} for k in range(400)],
           "source": "local"}
    text, cut = bound_observation(json.dumps(obj, ensure_ascii=False), 1000)
    assert cut and len(text) <= 1000
    value = json.loads(text)
    assert value["query"] == "cafés" and value["count"] == 400
    assert value["results"][0] == {"name": "Place 0"}
    assert re.fullmatch(r"… \(\d+ more items cut\)", value["results"][-1])
    assert value["…"] == "(1 more members cut)"        # "source" did not fit


def test_long_json_string_is_cut_at_a_word_and_stays_a_string():
    text, cut = bound_observation(json.dumps("lorem ipsum dolor " * 400), 500)
    assert cut and len(text) <= 500
    value = json.loads(text)
    head, mark = value.split(" … ")
    assert "lorem ipsum dolor".startswith(head.split(" ")[-1]) and head.split(" ")[-1] in {"lorem", "ipsum", "dolor"}
    assert re.fullmatch(r"\[cut: \d+ characters\]", mark)


@pytest.mark.parametrize("limit", range(300, 320))
def test_plain_text_is_cut_at_a_word_boundary_with_the_count(limit):
    words = " ".join(f"word{k}" for k in range(3000))
    text, cut = bound_observation(words, limit)
    assert cut and limit - 12 <= len(text) <= limit
    head, mark = text.split(" … ")
    assert words.startswith(head) and words[len(head)] == " "       # ends at a whole word
    assert mark == f"[cut: {len(words) - len(head)} characters]"


def test_a_word_longer_than_the_bound_is_cut_inside():
    text, cut = bound_observation("x" * 5000, 300)
    assert cut and text == "x" * 275 + " … [cut: 4725 characters]"


def test_the_last_item_cut_inside_needs_no_count_mark():
    text, cut = bound_observation(json.dumps([1, 2, "many words " * 500]), 400)
    value = json.loads(text)
    assert cut and len(value) == 3 and value[:2] == [1, 2]
    assert value[2].startswith("many words many") and value[2].endswith("characters]")


def test_escapes_count_against_the_bound():
    text, cut = bound_observation(json.dumps(['"quoted" \\ line\n' * 40] * 30), 800)
    assert cut and len(text) <= 800
    json.loads(text)


def test_whitespace_only_overflow_is_not_a_cut():
    pretty = json.dumps({"a": list(range(200))}, indent=8)
    assert len(pretty) > 1000
    text, cut = bound_observation(pretty, 1000)
    assert not cut and json.loads(text) == {"a": list(range(200))}


def test_a_caller_row_may_end_in_its_call_and_nothing_else_may():
    """α-UMi's caller and backbone rows end in the call they teach; its result is not part of the row.
    Only a call in the last message may lack its result, and only when the row says so."""
    messages, tools = ROWS["two_calls"]()
    ends_in_call = messages[:5]                     # ... first call, its result, the second call
    assert validate_messages(ends_in_call, tools, open_call=True) == []
    assert any("has no result" in p for p in validate_messages(ends_in_call, tools))
    unanswered_earlier = messages[:3] + messages[4:5]  # the first call's result dropped
    assert validate_messages(unanswered_earlier, tools, open_call=True)


def test_role_rows_are_judged_with_an_open_call_and_ste_rows_are_not():
    from builders.methods.roles.records import BackboneRow, CallerRow, PlannerRow, SummarizerRow
    from builders.methods.ste.records import Example

    assert CallerRow.open_call and BackboneRow.open_call
    assert not (PlannerRow.open_call or SummarizerRow.open_call or Example.open_call)
