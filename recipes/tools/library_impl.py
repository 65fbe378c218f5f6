"""Implementation of library_tools.json (an example of the OpenAI-style loader).

Recipe entry:  tools: [{openai: tools/library_tools.json, implementation: tools/library_impl.py}]
Each definition is bound to the function of the same name here; the definitions' schemas are
used as written, so these functions need no type hints.
"""

import datetime as dt

CATALOGUE = [
    {"id": 1, "title": "The Hobbit", "author": "J. R. R. Tolkien", "available": True},
    {"id": 2, "title": "Dune", "author": "Frank Herbert", "available": False},
    {"id": 3, "title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "available": True},
    {"id": 4, "title": "A Wizard of Earthsea", "author": "Ursula K. Le Guin", "available": False},
    {"id": 5, "title": "Neuromancer", "author": "William Gibson", "available": True},
]


def find_book(query, available_only=False):
    words = query.lower().split()
    hits = [b for b in CATALOGUE
            if all(w in (b["title"] + " " + b["author"]).lower() for w in words)
            and (b["available"] or not available_only)]
    return {"books": hits, "count": len(hits)}


def late_fee(due_date, returned_on, item_kind="book"):
    due, back = dt.date.fromisoformat(due_date), dt.date.fromisoformat(returned_on)
    days = max((back - due).days, 0)
    rate = {"book": 0.25, "new_release": 0.5, "dvd": 1.0}[item_kind]
    return {"days_late": days, "fee_eur": min(round(days * rate, 2), 10.0)}
