"""render_checks and the rendering environment, on small templates written here for the purpose
(each shows one way a template can go wrong); the real templates are in test_templates.py."""

import json

import pytest

from builders.chat_templates import render, render_checks
from tests.chat.examples import ROWS

# Prints every message, calls as JSON: what a good tool-aware template does.
GOOD = """{% for m in messages %}
{% if m.tool_calls is defined %}{% for c in m.tool_calls %}<call>{{ {"name": c.function.name, "arguments": c.function.arguments} | tojson }}</call>
{% endfor %}{% else %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>
{% endif %}{% endfor %}{% for t in tools %}{{ t.function.name }} {% endfor %}"""


def test_a_good_template_passes_every_example():
    for row in ROWS.values():
        messages, tools = row()
        assert render_checks(messages, tools, GOOD) == []


@pytest.mark.parametrize("template, words", [
    (GOOD.replace("<{{ m.role }}>{{ m.content }}</{{ m.role }}>",
                  "{% if m.role != 'tool' %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endif %}"),
     "its result does not follow it"),
    (GOOD.replace('"arguments": c.function.arguments} | tojson',
                  '"arguments": c.function.arguments | tojson} | tojson'), "quoted JSON string"),
    (GOOD.replace('{{ {"name": c.function.name, "arguments": c.function.arguments} | tojson }}',
                  '{{ c.function.name }} {{ c.function.arguments | tojson(ensure_ascii=True) }}'),
     "not rendered as JSON"),                       # \u-escaped: not the arguments the row holds
    (GOOD.replace("{% for t in tools %}{{ t.function.name }} {% endfor %}", ""),
     "'calculator': not in the rendered prompt"),
    (GOOD.replace("<call>", "{{ raise_exception('no tools here') }}"), "render: TemplateError: no tools here"),
    (GOOD.replace("{{ m.content }}", "{{ m.content }}{{ m.weight }}"), ""),
    (GOOD + "{{ messages[0].missing_key | default(none) }}", "rendered text holds None"),
])
def test_each_fault_is_named(template, words):
    messages, tools = ROWS["nested_non_ascii"]()      # calculator is offered, never called
    problems = render_checks(messages, tools, template)
    if words:
        assert any(words in p for p in problems), problems
    else:
        assert problems == []           # an undefined attribute renders empty, as in transformers


def test_results_printed_after_the_next_call_are_out_of_order():
    """All calls first, then all results: the second call's result no longer follows its own call."""
    template = ("{% for m in messages if m.tool_calls is defined %}{{ m.tool_calls[0].function.arguments | tojson }}"
                "{% endfor %}{% for m in messages if m.role == 'tool' %}{{ m.content }}{% endfor %}"
                "{% for t in tools %}{{ t.function.name }}{% endfor %}")
    messages, tools = ROWS["two_calls"]()
    problems = render_checks(messages, tools, template)
    assert len(problems) == 1 and "convert_units" in problems[0] and "does not follow" in problems[0]


def test_the_environment_is_transformers_own():
    """trim_blocks, lstrip_blocks, a tojson that keeps non-ASCII and takes indent, strftime_now, loop controls,
    {% generation %} and the special tokens the tokenizer passes."""
    template = ("{{ bos_token }}{% for m in messages %}\n    {% if loop.index > 2 %}{% break %}{% endif %}\n"
                "{% generation %}{{ m | tojson }}{% endgeneration %}\n{% endfor %}"
                "{{ {'a': [1]} | tojson(indent=1) }}|{{ strftime_now('%Y') | length }}")
    out = render(template, [{"role": "user", "content": "Zürich"}, {"role": "assistant", "content": "日本"},
                            {"role": "user", "content": "x"}], None, bos_token="<s>")
    assert out == ('<s>{"role": "user", "content": "Zürich"}{"role": "assistant", "content": "日本"}'
                   + json.dumps({"a": [1]}, indent=1) + "|4")


def test_templates_cannot_reach_outside():
    problems = render_checks(*ROWS["single_call"](), "{{ messages.__class__.__mro__ }}")
    assert any(p.startswith("render: SecurityError") for p in problems)
    with pytest.raises(Exception):
        render("{% set x = messages.append(1) %}", [], None)          # immutable sandbox
