"""Search over a small shipped knowledge corpus: 30 short articles on science, measurement,
calendars, finance, computing and geography (builders/tools/data/knowledge.jsonl, written for
toolmint, CC0). Ranking is BM25 over lower-cased word tokens: deterministic, no index to build.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from builders.tools.pyfuncs import tool

DATA = Path(__file__).resolve().parent.parent / "data" / "knowledge.jsonl"
Topic = Literal["science", "measurement", "calendar", "finance", "computing", "geography"]
_STOP = frozenset("a an and are as at be by for from how in is it its of on or that the to was what when "
                  "where which who why with does do".split())


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _STOP]


@lru_cache(maxsize=1)
def _corpus() -> tuple[list[dict], list[Counter], dict[str, int], float]:
    docs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    bags = [Counter(_tokens(d["title"] + " " + d["title"] + " " + d["text"])) for d in docs]
    df: Counter = Counter()
    for bag in bags:
        df.update(bag.keys())
    avg = sum(sum(b.values()) for b in bags) / len(bags)
    return docs, bags, dict(df), avg


@tool("1", params={"query": {"minLength": 1, "maxLength": 300}, "top_k": {"minimum": 1, "maximum": 10}})
def search_knowledge(query: str, top_k: int = 3, topic: Topic | None = None) -> dict:
    """Search a small offline encyclopedia (science, measurement, calendar, finance, computing,
    geography) and return the best-matching articles with a snippet. Fails on a query with no words.

    Args:
        query: keywords or a question, e.g. "when was the Gregorian calendar introduced"
        top_k: how many articles to return
        topic: search only this topic
    """
    terms = _tokens(query)
    if not terms:
        raise ValueError("the query has no searchable words")
    docs, bags, df, avg = _corpus()
    n = len(docs)
    scored = []
    for doc, bag in zip(docs, bags):
        if topic and doc["topic"] != topic:
            continue
        length = sum(bag.values())
        score = 0.0
        for t in terms:
            if t in bag:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                tf = bag[t]
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
        if score > 0:
            scored.append((round(score, 4), doc))
    scored.sort(key=lambda p: (-p[0], p[1]["id"]))
    hits = [{"id": d["id"], "title": d["title"], "topic": d["topic"], "score": s,
             "snippet": d["text"][:160] + ("…" if len(d["text"]) > 160 else "")} for s, d in scored[:top_k]]
    return {"query": query, "results": hits, "count": len(hits)}


@tool("1", params={"article_id": {"pattern": "^kb-[0-9]{3}$"}})
def get_article(article_id: str) -> dict:
    """The full text of one article of the offline encyclopedia, by the id search_knowledge gave.

    Args:
        article_id: e.g. "kb-012"
    """
    for doc in _corpus()[0]:
        if doc["id"] == article_id:
            return doc
    raise ValueError(f"no article {article_id!r} (ids run from kb-001 to kb-{len(_corpus()[0]):03d})")
