"""The sandboxed side: a child forked from a pre-warmed worker hardens itself, runs one task, reports.

Hardening order matters: what needs privileges (reading a tool file the task user could not read,
rlimits, dropping to nobody) comes first; then no_new_privs, Landlock and seccomp, which cannot be
undone; only then is untrusted code run. The report is one JSON object written to a pipe; the
worker treats it as untrusted data (see worker.py).
"""

from __future__ import annotations

import base64
import errno
import io
import json
import os
import pickle
import resource
import signal
import sys
import traceback
import types
from dataclasses import dataclass

from sandbox import landlock, seccomp

NOBODY = 65534
_PR_SET_PDEATHSIG = 1


@dataclass
class Hardening:
    """What the worker prepared once and each child applies (see worker.setup_protections)."""
    scratch: str
    stdout_path: str
    stderr_path: str
    ruleset_fd: int | None
    seccomp_program: bytes | None
    drop_uid: bool
    keep_fds: list[int]  # library folders imports are routed through (worker.reroute_imports)
    import_path: str | None = None  # a tool file's own folder, first on sys.path (worker.ToolFolders)


def harden(task: dict, h: Hardening, result_fd: int) -> str | None:
    """Apply every protection to this process; returns the tool file's source, read beforehand."""
    os.setsid()
    seccomp._libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGXCPU, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(os.open(h.stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(h.stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    keep = sorted({0, 1, 2, result_fd, *h.keep_fds} | ({h.ruleset_fd} if h.ruleset_fd is not None else set()))
    for low, high in zip(keep, keep[1:] + [65536]):
        os.closerange(low + 1, high)
    os.chdir(h.scratch)
    source = _read_source(task.get("target") or {})

    limits = task["limits"]
    cpu = max(1, int(limits["cpu_s"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL a second later
    memory = _address_space() + int(limits["memory_mb"]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": h.scratch, "TMPDIR": h.scratch, "LANG": "C.UTF-8"})
    if h.drop_uid:
        resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))  # counts the task user's threads
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    seccomp.no_new_privs()
    if h.ruleset_fd is not None:
        landlock.restrict(h.ruleset_fd)
        os.close(h.ruleset_fd)
    if h.seccomp_program is not None:
        seccomp.install(h.seccomp_program)
    if h.import_path:
        sys.path.insert(0, h.import_path)  # as for a script: `from helpers import …` finds helpers.py beside it
    return source


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _read_source(target: dict) -> str | None:
    """A user tool file may lie where the task user cannot read (e.g. a root-only temp folder); the
    trusted side reads it and the task only gets its text."""
    if target.get("kind") == "python" and "file" in target:
        with open(target["file"], encoding="utf-8") as f:
            return f.read()
    return None


def _jsonable(value):
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _module_from_source(path: str, source: str, import_path: str | None = None):
    """The tool file as a module; its __file__ goes through `import_path` (which may be a routed
    descriptor, see worker.ToolFolders) so that files beside it open the way its imports do."""
    module = types.ModuleType("toolmint_user_tools")
    module.__file__ = os.path.join(import_path, os.path.basename(path)) if import_path else path
    sys.modules[module.__name__] = module  # so instances of its classes pickle by reference
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def _call(target: dict, arguments: dict, state: str | None, source: str | None, result: dict,
          import_path: str | None = None):
    """Call a function, or a method of a stateful environment.

    A stateful environment's instance travels between calls as an opaque pickle, made and
    opened only here, in the sandbox; the parent stores it and hands it back, never opens it.
    `state_changed` says whether the call changed the instance (its pickle before and after differ),
    so the parent can tell a write from a read without opening the blob or knowing the tool.
    """
    if source is not None:
        module = _module_from_source(target["file"], source, import_path)
    else:
        module = sys.modules[target["module"]]  # imported by the worker, see worker.py
    if "class" not in target:
        return getattr(module, target["function"])(**arguments)
    if state is None:
        instance = getattr(module, target["class"])(**target.get("init", {}))
    else:
        instance = pickle.loads(base64.b64decode(state))
    before = pickle.dumps(instance)
    value = getattr(instance, target["method"])(**arguments)
    after = pickle.dumps(instance)
    result["state"], result["state_changed"] = base64.b64encode(after).decode(), after != before
    return value


def run(task: dict, source: str | None, import_path: str | None = None) -> dict:
    """Run the task; the guest's failure is data, reported with its type, message and traceback."""
    limit = task["limits"]["output_bytes"]
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="replace")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="replace",
                                  line_buffering=True)
    result = {"status": "ok", "value": None}
    try:
        if "code" in task:
            scope: dict = {"__name__": "__toolmint__", "__builtins__": __builtins__}
            exec(compile(task["code"], "<model-code>", "exec"), scope)
            value = scope.get("result")
        else:
            value = _call(task["target"], task["arguments"], task.get("state"), source, result, import_path)
        result["value"] = _jsonable(value)
    except MemoryError:
        result.update(status="memory_limit", exc_type="MemoryError", message="memory limit exceeded")
    except BaseException as exc:  # noqa: BLE001
        denied = isinstance(exc, PermissionError) and exc.errno in (errno.EACCES, errno.EPERM)
        result.update(status="forbidden" if denied else "error", exc_type=type(exc).__name__,
                      message=_safe_str(exc)[:2000], traceback=_safe_traceback()[-4000:])
    try:
        encoded = json.dumps(result["value"], allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        encoded, result["value"] = "null", None
    if len(encoded) > limit:
        result.update(status="output_limit", value=None, message=f"return value longer than {limit} bytes")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the guest may have closed or replaced it
            pass
    return result


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a guest exception whose __str__ raises
        return "<unprintable>"


def _safe_traceback() -> str:
    try:
        return traceback.format_exc()
    except Exception:  # noqa: BLE001
        return ""


def main(task: dict, h: Hardening, result_fd: int) -> None:
    """Entry point in the forked child; never returns."""
    code = 0
    try:
        source = harden(task, h, result_fd)
    except BaseException as exc:  # noqa: BLE001 - refuse to run unprotected
        report = {"status": "crashed", "message": f"sandbox set-up failed: {exc!r}"}
        code = 71
    else:
        report = run(task, source, h.import_path)
    try:
        data = json.dumps(report, allow_nan=False, default=repr).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(result_fd, view):]
    except BaseException:  # noqa: BLE001
        code = code or 70
    os._exit(code)
