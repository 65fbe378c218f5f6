"""The in-context example bank (STE's ICL use of its examples): each accepted example becomes a
demonstration with a retrieval key — the BM25 terms of its query — and `nearest` returns the k
demonstrations most similar to a new query (Okapi BM25, k1=1.5, b=0.75). Nothing is downloaded."""

from __future__ import annotations

import json
import math
import re
from collections import Counter

STOP = set("a an and are as at be by can do does for from how i in is it me my of on or please the this to "
           "what when which who will with you your".split())


def terms(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP]


def demonstration_text(query: str, action: str, action_input: dict, observation: str, answer: str) -> str:
    """STE's demonstration format."""
    return (f"Query: {query}\nAction: {action}\nAction Input: {json.dumps(action_input, ensure_ascii=False)}\n"
            f"Observation: {observation}\nFinal Answer: {answer}")


def nearest(bank: list[dict], query: str, k: int = 3, k1: float = 1.5, b: float = 0.75) -> list[dict]:
    """The k rows of `bank` (ste_icl rows, each with a `key` list of terms) nearest to `query` by BM25."""
    if not bank:
        return []
    docs = [Counter(row["key"]) for row in bank]
    avg = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    df = Counter(t for d in docs for t in d)
    n = len(docs)

    def score(d: Counter) -> float:
        length = sum(d.values())
        s = 0.0
        for t in set(terms(query)):
            if t in d:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * d[t] * (k1 + 1) / (d[t] + k1 * (1 - b + b * length / avg))
        return s

    ranked = sorted(range(n), key=lambda i: (-score(docs[i]), i))
    return [bank[i] for i in ranked[:k]]
