import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_llm_cache(tmp_path_factory):
    """Runs in these tests (and the CLI processes they start) use a fresh LLM-call cache, so a second
    `make test` still runs the model instead of reading the first one's generations."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TOOLMINT_CACHE_DIR", str(tmp_path_factory.mktemp("llm-cache")))
    yield
    mp.undo()
