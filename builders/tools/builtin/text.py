"""Text and regular expressions: statistics, search and replace, case styles, edit distance, hashes."""

from __future__ import annotations

import collections
import hashlib
import re
from typing import Literal

from builders.tools.pyfuncs import tool

Flag = Literal["ignorecase", "multiline", "dotall"]
_FLAGS = {"ignorecase": re.IGNORECASE, "multiline": re.MULTILINE, "dotall": re.DOTALL}
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@tool("1", params={"text": {"maxLength": 20000}})
def text_stats(text: str) -> dict:
    """Count the characters, letters, words, sentences and lines of a text, and list its five most
    frequent words.

    Args:
        text: the text to measure
    """
    words = _WORD.findall(text)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
    common = collections.Counter(w.lower() for w in words).most_common(5)
    return {"characters": len(text), "letters": sum(c.isalpha() for c in text), "words": len(words),
            "sentences": len(sentences), "lines": len(text.splitlines()) if text else 0,
            "average_word_length": round(sum(map(len, words)) / len(words), 2) if words else 0,
            "most_common": [{"word": w, "count": n} for w, n in common]}


def _compile(pattern: str, flags: list[str] | None) -> re.Pattern:
    value = 0
    for f in flags or []:
        if f not in _FLAGS:
            raise ValueError(f"unknown flag {f!r} (use {', '.join(_FLAGS)})")
        value |= _FLAGS[f]
    try:
        return re.compile(pattern, value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


@tool("1", params={"pattern": {"minLength": 1, "maxLength": 500}, "text": {"maxLength": 20000},
                   "max_matches": {"minimum": 1, "maximum": 100}})
def regex_search(pattern: str, text: str, flags: list[Flag] | None = None, max_matches: int = 20) -> dict:
    """Find the matches of a Python regular expression in a text, with their positions and groups.
    Fails on an invalid pattern.

    Args:
        pattern: the regular expression, e.g. "\\d{4}-\\d{2}-\\d{2}"
        text: the text to search
        flags: any of ignorecase, multiline, dotall
        max_matches: return at most this many matches
    """
    rx = _compile(pattern, flags)
    matches, total = [], 0
    for m in rx.finditer(text):
        total += 1
        if len(matches) < max_matches:
            matches.append({"match": m.group(0), "start": m.start(), "end": m.end(), "groups": list(m.groups()),
                            "named": m.groupdict()})
    return {"count": total, "matches": matches, "truncated": total > len(matches)}


@tool("1", params={"pattern": {"minLength": 1, "maxLength": 500}, "text": {"maxLength": 20000},
                   "count": {"minimum": 0, "maximum": 10000}})
def regex_replace(pattern: str, replacement: str, text: str, count: int = 0, flags: list[Flag] | None = None) -> dict:
    """Replace the matches of a Python regular expression in a text (\\1 or \\g<name> refer to groups).

    Args:
        pattern: the regular expression
        replacement: the text put in place of each match
        text: the text to change
        count: replace at most this many matches; 0 replaces all
        flags: any of ignorecase, multiline, dotall
    """
    rx = _compile(pattern, flags)
    try:
        result, n = rx.subn(replacement, text, count=count)
    except (re.error, IndexError) as exc:
        raise ValueError(f"invalid replacement {replacement!r}: {exc}") from None
    return {"text": result, "replacements": n}


@tool("1", params={"text": {"maxLength": 5000}})
def change_case(text: str, style: Literal["upper", "lower", "title", "sentence", "snake", "camel", "kebab"]) -> dict:
    """Rewrite a text in another letter case or identifier style (snake_case, camelCase, kebab-case …).

    Args:
        text: the text, e.g. "Hello big World"
        style: the case style to write it in
    """
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", text) if style in ("snake", "camel", "kebab") else []
    if style == "upper":
        out = text.upper()
    elif style == "lower":
        out = text.lower()
    elif style == "title":
        out = " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))
    elif style == "sentence":
        out = text[:1].upper() + text[1:].lower()
    elif style == "snake":
        out = "_".join(w.lower() for w in words)
    elif style == "kebab":
        out = "-".join(w.lower() for w in words)
    elif style == "camel":
        out = "".join(w.lower() if i == 0 else w[:1].upper() + w[1:].lower() for i, w in enumerate(words))
    else:
        raise ValueError(f"unknown style {style!r}")
    return {"text": out, "style": style}


@tool("1", params={"a": {"maxLength": 2000}, "b": {"maxLength": 2000}})
def edit_distance(a: str, b: str, ignore_case: bool = False) -> dict:
    """The Levenshtein edit distance between two strings (insertions, deletions, substitutions),
    and a similarity from 0 to 1.

    Args:
        a: the first string
        b: the second string
        ignore_case: compare without regard to upper and lower case
    """
    if ignore_case:
        a, b = a.lower(), b.lower()
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    distance = prev[-1]
    longest = max(len(a), len(b))
    return {"distance": distance, "similarity": round(1 - distance / longest, 4) if longest else 1.0}


@tool("1", params={"text": {"maxLength": 100000}})
def hash_text(text: str, algorithm: Literal["md5", "sha1", "sha256", "sha512"] = "sha256") -> dict:
    """The hexadecimal digest of a text (UTF-8) under a hash algorithm.

    Args:
        text: the text to hash
        algorithm: the hash function
    """
    if algorithm not in ("md5", "sha1", "sha256", "sha512"):
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return {"algorithm": algorithm, "hex": hashlib.new(algorithm, text.encode("utf-8")).hexdigest()}
