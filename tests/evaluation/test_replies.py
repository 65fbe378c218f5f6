"""The calls in a free reply, in the shapes models write them."""

import pytest

from builders.evaluation.replies import calls

CALL = {"name": "weather", "arguments": {"city": "Paris"}}


@pytest.mark.parametrize("text", [
    '<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}\n</tool_call>',   # Qwen's template
    '{"name": "weather", "parameters": {"city": "Paris"}}',                            # Llama 3.1's
    '```json\n{"name": "weather", "arguments": {"city": "Paris"}}\n```',              # a fence
    'Sure:\n```json\n[{"name": "weather", "arguments": "{\\"city\\": \\"Paris\\"}"}]\n```',
    '[weather(city="Paris")]',                                                        # BFCL's Python syntax
    '{"type": "function", "function": {"name": "weather", "arguments": {"city": "Paris"}}}',
    '<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}',               # cut at the end tag
])
def test_a_call_is_read_in_every_shape(text):
    assert calls(text) == [CALL]


def test_several_tagged_calls():
    text = ('<tool_call>\n{"name": "a", "arguments": {}}\n</tool_call>\n'
            '<tool_call>\n{"name": "b", "arguments": {"x": 1}}\n</tool_call>')
    assert calls(text) == [{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"x": 1}}]


def test_plain_text_is_no_call():
    assert calls("It is sunny in Paris today.") == []


@pytest.mark.parametrize("text", [
    '<tool_call>\n{"name": "weather", "arguments": {"city": "Par\n</tool_call>',   # cut JSON
    '{"name": "weather", "arguments": [1, 2]}',                                     # arguments not an object
    '{"name": "weather", "arguments": {"city": "Paris"',                            # unclosed
])
def test_an_unreadable_call_is_not_well_formed(text):
    assert calls(text) is None
