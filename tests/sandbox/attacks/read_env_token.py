"""Read HF_TOKEN (or any secret) from the environment. Expected: ok, and nothing secret in it."""
import os

result = {"HF_TOKEN": os.environ.get("HF_TOKEN"), "environ": dict(os.environ)}
