"""JSON Schemas shipped with toolmint: the recipe and the tool (dataset rows are described by their
record dataclasses, builders/record.py, and docs/dataset.md)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Load `schemas/<name>.schema.json`."""
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text())
