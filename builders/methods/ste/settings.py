"""STE's recipe section (defaults are written here and nowhere else) and its sampling settings."""

SECTION = {
    "episodes": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 2,
                 "description": "exploration episodes per tool"},
    "queries_per_episode": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1},
    "max_calls_per_query": {"type": "integer", "minimum": 1, "maximum": 20, "default": 1},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 0.7},
    "max_tokens": {"type": "integer", "minimum": 16, "maximum": 4096, "default": 160},
    "test_fraction": {"type": "number", "minimum": 0, "maximum": 0.5, "default": 0,
                      "description": "share of episodes whose rows go to the test split"},
}


def sampling(ctx) -> dict:
    return {"temperature": ctx.settings["temperature"], "max_tokens": ctx.settings["max_tokens"]}
