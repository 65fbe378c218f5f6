"""The engines this process has loaded: each model and setting once, on first use (a Dask worker
loads its model on its first partition, and its threads share it)."""

from __future__ import annotations

import atexit
import threading

_LOADED: dict[tuple, object] = {}
_LOCK = threading.Lock()  # a worker's threads may start their first partitions together


def load(cls, model_path: str, **settings):
    """The process's `cls(model_path, **settings)`, made the first time it is asked for."""
    key = (cls.__qualname__, model_path, tuple(sorted(settings.items())))
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = cls(model_path, **settings)
        return _LOADED[key]


def loaded_engines() -> int:
    """How many models this process has loaded (the pipeline checks it stays at one per worker)."""
    return len(_LOADED)


@atexit.register
def close_all() -> None:
    """Free each model while the interpreter still works: left to `Llama.__del__` at shutdown,
    llama-cpp-python's own cleanup runs after its modules are torn down and prints a traceback
    ("'NoneType' object is not callable") at every exit."""
    with _LOCK:
        engines = list(_LOADED.values())
        _LOADED.clear()
    for engine in engines:
        for part in (getattr(engine, "ctx", None), getattr(engine, "llama", None)):
            try:
                part.close()
            except Exception:  # noqa: BLE001 - already closed or never opened: nothing left to free
                pass
