"""A GBNF recogniser for tests: a grammar whose rules do not recurse becomes one Python regex (rules
inlined), so a test can ask whether a text is in the language llama.cpp samples from."""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r'\s*(?:(?P<lit>"(?:[^"\\]|\\.)*")|(?P<cls>\[(?:[^\]\\]|\\.)*\])|(?P<name>[a-zA-Z][\w-]*)'
                    r'|(?P<op>[()|?*+]|\{\d*,?\d*\}))')


def _rules(text: str) -> dict[str, str]:
    rules, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z][\w-]*)\s*::=\s*(.*)$", line)
        if m:
            name = m.group(1)
            rules[name] = m.group(2)
        elif name and line.strip():
            rules[name] += " " + line.strip()
    return rules


def _class(cls: str) -> str:
    return cls.replace("\\n", "\n")  # GBNF's escapes are Python's, but \n must be a real newline here


def to_regex(text: str, root: str = "root", depth: int = 0) -> str:
    rules = _rules(text)

    def expand(name: str, depth: int) -> str:
        if depth > 40:
            raise ValueError(f"rule {name} recurses")
        out, body, pos = [], rules[name], 0
        while pos < len(body):
            m = _TOKEN.match(body, pos)
            if not m or m.end() == pos:
                if body[pos:].strip():
                    raise ValueError(f"cannot read {body[pos:]!r}")
                break
            pos = m.end()
            if m.group("lit"):
                out.append(re.escape(json.loads(m.group("lit"))))
            elif m.group("cls"):
                out.append(_class(m.group("cls")))
            elif m.group("name"):
                out.append(f"(?:{expand(m.group('name'), depth + 1)})")
            else:
                op = m.group("op")
                out.append("(?:" if op == "(" else op)
        return "".join(out)

    return expand(root, depth)


def matches(grammar: str, text: str) -> bool:
    return re.fullmatch(to_regex(grammar), text, re.DOTALL) is not None
