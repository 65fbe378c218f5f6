"""JSON Schemas shipped with toolmint: recipe, tool, trajectory and dataset rows."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Load `schemas/<name>.schema.json`."""
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text())
