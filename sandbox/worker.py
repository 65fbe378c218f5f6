"""A pre-warmed worker: imports once, prepares the protections once, then forks one hardened child per task.

Started by the pool as a plain subprocess (`python -I -c ...`, see pool.py) so it works inside
daemonic Dask workers. It speaks one JSON line per request on stdin and one JSON line per result
on stdout; stdin closing (the parent exited or died) makes it exit. The worker is the trusted
side: it enforces the wall clock with SIGKILL, measures CPU from the kernel's rusage, reads the
child's report as plain JSON and keeps only the fields and statuses a guest may legitimately set.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import select
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field, replace

from sandbox import child, landlock, seccomp

PRELOAD = (  # imported before any task: forks are then cheap, and the task user (nobody) may
    # not be able to read the interpreter's own library folder (e.g. pyenv under /root).
    "abc argparse array ast base64 binascii bisect calendar cmath codecs collections collections.abc "
    "colorsys contextlib copy csv ctypes dataclasses datetime decimal difflib enum errno fnmatch "
    "fractions functools graphlib gzip hashlib heapq hmac html html.parser io ipaddress itertools json "
    "keyword locale math mimetypes numbers operator os pathlib pickle pprint queue random re secrets "
    "shlex shutil signal socket statistics string struct tempfile textwrap threading time timeit "
    "traceback types typing unicodedata urllib.parse uuid warnings weakref zipfile zlib zoneinfo "
    "xml.etree.ElementTree lzma bz2 tomllib sqlite3 concurrent.futures asyncio "
    "encodings.ascii encodings.latin_1 encodings.utf_16 encodings.utf_32 encodings.utf_8_sig "
    "encodings.cp1252 encodings.idna encodings.unicode_escape encodings.raw_unicode_escape "
    "encodings.base64_codec encodings.hex_codec"
).split()

SYSTEM_READ = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/dev"]
FROM_CHILD = {"ok", "error", "forbidden", "memory_limit", "output_limit", "crashed"}
_CLONE_NEWIPC, _CLONE_NEWNET = 0x08000000, 0x40000000
_FAILURES = {signal.SIGSYS: ("forbidden", "the task made a forbidden system call (seccomp)"),
             signal.SIGXFSZ: ("output_limit", "the task wrote more than the file size limit"),
             signal.SIGXCPU: ("cpu_limit", "CPU time limit exceeded")}


def _homes() -> list[str]:
    return sorted({"/root", "/home", os.path.expanduser("~")})


def read_paths(extra) -> list[str]:
    """System and project folders the task may read: never a home folder or one of its parents
    (Landlock can only allow whole subtrees); folders below a home, such as the interpreter, are fine."""
    paths = []
    for path in [*SYSTEM_READ, sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path, *extra]:
        path = os.path.realpath(path) if path else ""
        if not path or not os.path.isdir(path) or path in paths:
            continue
        if any(home == path or home.startswith(path.rstrip("/") + "/") for home in _homes()):
            continue
        paths.append(path)
    return paths


def setup_protections(config: dict) -> tuple[child.Hardening, ToolFolders, dict]:
    """Everything that is done once per worker. Returns the per-child hardening, what opens tool
    files' folders, and a report of what is active, which the pool checks and `toolmint doctor` prints."""
    report: dict = {}
    root = os.geteuid() == 0
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET | _CLONE_NEWIPC) == 0:
        report["namespaces"] = {"active": True, "detail": "own network (no interfaces) and IPC namespaces"}
    else:
        report["namespaces"] = {"active": False, "detail": f"unshare failed: {os.strerror(ctypes.get_errno())}"}
    report["cgroup_pids"] = _join_pids_cgroup(config.get("pids_max", 128))

    base = config.get("scratch_base") or "/tmp"
    _sweep_stale_scratch(base)
    private = os.path.join(base, f"toolmint-sbx-{os.getpid()}")
    shutil.rmtree(private, ignore_errors=True)
    os.makedirs(private, mode=0o711)
    scratch = os.path.join(private, "scratch")
    os.mkdir(scratch, 0o700)
    if root:
        os.chown(scratch, child.NOBODY, child.NOBODY)
    report["uid_drop"] = ({"active": True, "detail": f"tasks run as nobody ({child.NOBODY})"} if root else
                          {"active": True, "detail": f"already unprivileged (uid {os.geteuid()})"})

    ruleset_fd = None
    without = set(config.get("without", []))
    abi = 0 if "landlock" in without else landlock.abi_version()
    if "landlock" in without:
        report["landlock"] = {"active": False, "detail": "left off (Sandbox(without=...))"}
    elif abi:
        ruleset_fd, info = landlock.make_ruleset(read_paths(config.get("read_paths", [])),
                                                  [scratch, "/dev/null"], abi)
        report["landlock"] = {"active": True, "detail": f"ABI {abi}: read-only {len(info['paths']) - 2} "
                              f"system/project folders, writes only to scratch, TCP bind/connect "
                              f"{'denied' if info['tcp'] else 'NOT restricted'}, signals and abstract "
                              f"sockets {'scoped' if info['scoped_signals'] else 'NOT scoped'}",
                              "abi": abi}
    else:
        report["landlock"] = {"active": False, "detail": "Landlock is not available in this kernel"}
    program = seccomp.build_filter() if seccomp.supported() and "seccomp" not in without else None
    report["seccomp"] = ({"active": True, "detail": f"{len(program) // 8}-instruction BPF filter: no fork/exec, "
                          "no socket() (only AF_UNIX socketpair), no ptrace/mount/namespaces/io_uring/bpf"} if program else
                         {"active": False, "detail": "left off (Sandbox(without=...))"} if "seccomp" in without else
                         {"active": False, "detail": "the filter is written for x86_64 only"})
    report["rlimits"] = {"active": True, "detail": "CPU, address space, file size, open files, core=0"}
    h = child.Hardening(scratch=scratch, stdout_path=os.path.join(private, "stdout"),
                        stderr_path=os.path.join(private, "stderr"), ruleset_fd=ruleset_fd,
                        seccomp_program=program, drop_uid=root, keep_fds=reroute_imports(root))
    folders = ToolFolders(read=read_paths(config.get("read_paths", [])) if ruleset_fd is not None else [],
                          write=[scratch, "/dev/null"], abi=abi if ruleset_fd is not None else 0,
                          private=private, drop_uid=root)
    return h, folders, report


@dataclass
class ToolFolders:
    """Read-only access to a tool file's own folder, so that it imports the modules beside it.

    Per folder, once: a Landlock ruleset that adds that one folder (read-only) to the worker's, and,
    when the task user cannot reach it through its parents (a 0700 home or temp folder above it), a
    descriptor that imports go through, as in `reroute_imports`. A folder is not opened when it is
    `/`, a home folder or one of its parents, or holds the sandbox's own private folders; nor when
    the task user may not list it (then `why_not` says so, and the worker adds it to the error)."""
    read: list[str]
    write: list[str]
    abi: int
    private: str
    drop_uid: bool
    prepared: dict = field(default_factory=dict)  # folder -> (ruleset fd, routed fd, import path, why not)

    def hardening(self, h: child.Hardening, tool_file: str) -> child.Hardening:
        folder = os.path.dirname(os.path.realpath(tool_file))
        if folder not in self.prepared:
            if len(self.prepared) >= 64:  # a run uses a few tool folders; keep descriptors bounded
                for ruleset_fd, path_fd, _, _ in self.prepared.values():
                    for fd in (ruleset_fd, path_fd):
                        if fd is not None:
                            os.close(fd)
                self.prepared.clear()
            self.prepared[folder] = self._prepare(folder)
        ruleset_fd, path_fd, import_path, _ = self.prepared[folder]
        if import_path is None:
            return h
        return replace(h, ruleset_fd=h.ruleset_fd if ruleset_fd is None else ruleset_fd,
                       keep_fds=h.keep_fds + ([path_fd] if path_fd is not None else []), import_path=import_path)

    def why_not(self, tool_file: str) -> str | None:
        return self.prepared.get(os.path.dirname(os.path.realpath(tool_file)), (None,) * 4)[3]

    def _prepare(self, folder: str) -> tuple:
        if folder == "/" or any(home == folder or home.startswith(folder + "/") for home in _homes()) \
                or self.private.startswith(folder + "/"):
            return None, None, None, f"its folder {folder} is not made readable in the sandbox (too wide)"
        if self.drop_uid and os.stat(folder).st_mode & 0o005 != 0o005:
            return None, None, None, (f"its folder {folder} is not readable by the sandbox's task user "
                                      f"(nobody): allow it, e.g. chmod o+rx {folder}")
        ruleset_fd = landlock.make_ruleset([*self.read, folder], self.write, self.abi)[0] if self.abi else None
        path_fd, import_path = None, folder
        if self.drop_uid and not _reachable_by_others(folder):
            path_fd = os.open(folder, os.O_PATH | os.O_DIRECTORY)
            os.set_inheritable(path_fd, True)
            import_path = f"/proc/self/fd/{path_fd}"
        return ruleset_fd, path_fd, import_path, None


def _sweep_stale_scratch(base: str) -> None:
    """Remove the private folders of workers that were killed before they could clean up."""
    for entry in os.scandir(base):
        pid = entry.name.removeprefix("toolmint-sbx-")
        if entry.name.startswith("toolmint-sbx-") and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(entry.path, ignore_errors=True)


def _reachable_by_others(path: str) -> bool:
    while path not in ("/", ""):
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & 0o001:
            return False
    return True


def reroute_imports(drop_uid: bool) -> list[int]:
    """Let the task user (nobody) import from library folders it cannot reach, e.g. pyenv's under a
    0700 /root: the worker opens each such folder once and imports go through /proc/self/fd/N,
    which only checks permissions from that folder down. Landlock still decides what is readable."""
    if not drop_uid:
        return []
    routes, fds = {}, []
    for entry in sys.path:
        if entry and os.path.isdir(entry) and not _reachable_by_others(entry):
            fd = os.open(entry, os.O_PATH | os.O_DIRECTORY)
            os.set_inheritable(fd, True)
            routes[entry] = f"/proc/self/fd/{fd}"
            fds.append(fd)
    if not routes:
        return []

    def route(path: str) -> str:
        for old in sorted(routes, key=len, reverse=True):
            if path == old or path.startswith(old + "/"):
                return routes[old] + path[len(old):]
        return path

    sys.path[:] = [route(p) for p in sys.path]
    for module in list(sys.modules.values()):
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [route(p) for p in search]
    sys.path_importer_cache.clear()
    return fds


def _join_pids_cgroup(pids_max: int) -> dict:
    """A pids cgroup around this worker and its children: a second fence against fork bombs."""
    try:
        for line in open("/proc/self/cgroup"):
            _, controllers, path = line.strip().split(":", 2)
            if "pids" in controllers.split(","):
                mount = "/sys/fs/cgroup/pids"
                break
            if controllers == "" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
                mount = "/sys/fs/cgroup"
                break
        else:
            return {"active": False, "detail": "no pids cgroup controller"}
        group = os.path.join(mount + path, f"toolmint-{os.getpid()}")
        os.makedirs(group, exist_ok=True)
        with open(os.path.join(group, "pids.max"), "w") as f:
            f.write(str(pids_max))
        with open(os.path.join(group, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        return {"active": True, "detail": f"at most {pids_max} processes and threads per worker", "path": group}
    except OSError as exc:
        return {"active": False, "detail": f"cannot create a pids cgroup: {exc.strerror}"}


def _leave_cgroup(report: dict) -> None:
    group = report.get("cgroup_pids", {}).get("path")
    if group:
        try:
            with open(os.path.join(os.path.dirname(group), "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            os.rmdir(group)
        except OSError:
            pass


def _sweep_stale_cgroups(report: dict) -> None:
    """Remove empty groups left by workers that were killed."""
    group = report.get("cgroup_pids", {}).get("path")
    if not group:
        return
    parent = os.path.dirname(group)
    for name in os.listdir(parent):
        if name.startswith("toolmint-") and name != os.path.basename(group):
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass


def _clean(folder: str) -> None:
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            os.unlink(entry.path)


def run_task(task: dict, h: child.Hardening, control_fd: int, folders: ToolFolders | None = None) -> dict:
    """Fork a child for the task, watch it, kill it at the deadline, and judge what came back."""
    limits = task["limits"]
    start = time.perf_counter()
    target = task.get("target") or {}
    if target.get("module"):
        try:  # module targets are installed, trusted packages: imported here once, run in the child
            importlib.import_module(target["module"])
        except Exception as exc:  # noqa: BLE001
            return _result("error", start, exc_type=type(exc).__name__, message=f"cannot import tool module: {exc}")
    if target.get("file") and not (target["file"].endswith(".py") and os.path.isfile(target["file"])):
        # the file is read with the worker's rights (see child._read_source): Python files only
        return _result("error", start, exc_type="FileNotFoundError", message=f"no tool file {target['file']}")
    if target.get("file") and folders is not None:
        h = folders.hardening(h, target["file"])
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        child.main(task, h, write_fd)
    os.close(write_fd)
    pidfd = os.pidfd_open(pid)
    cap = 8 * 2**20 + 4 * limits["output_bytes"]
    chunks, size, timed_out, too_big, parent_gone, exited = [], 0, False, False, False, False
    poller = select.poll()
    poller.register(read_fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    poller.register(control_fd, select.POLLIN)
    deadline = start + limits["wall_s"]
    while not exited:
        left = deadline - time.perf_counter()
        if left <= 0:
            timed_out = True
            break
        for fd, _ in poller.poll(left * 1000):
            if fd == read_fd:
                data = os.read(read_fd, 1 << 16)
                if not data:
                    poller.unregister(read_fd)
                size += len(data)
                chunks.append(data)
                if size > cap:
                    too_big = True
            elif fd == pidfd:
                exited = True
            elif fd == control_fd:
                parent_gone = True
        if too_big or parent_gone:
            break
    for kill in (os.kill, os.killpg):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _, status, usage = os.wait4(pid, 0)
    os.close(pidfd)
    if exited and not too_big:
        os.set_blocking(read_fd, False)
        try:
            while (data := os.read(read_fd, 1 << 16)) and size <= cap:
                chunks.append(data)
                size += len(data)
        except BlockingIOError:
            pass
        too_big = size > cap
    os.close(read_fd)
    if parent_gone:
        sys.exit(0)
    cpu_s = usage.ru_utime + usage.ru_stime
    result = _judge(status, cpu_s, limits, timed_out, too_big, b"".join(chunks), "class" in target)
    why_not = folders.why_not(target["file"]) if target.get("file") and folders is not None else None
    if result.get("exc_type") == "ModuleNotFoundError" and why_not:
        result["message"] = f"{result['message']} ({why_not})"
    _attach_output(result, h, limits["output_bytes"])
    _clean(h.scratch)
    result["cpu_ms"] = round(cpu_s * 1000, 3)
    result["wall_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return result


def _judge(status: int, cpu_s: float, limits: dict, timed_out: bool, too_big: bool, raw: bytes,
           stateful: bool) -> dict:
    """The status comes from what the kernel says first, from the child's report last."""
    cpu_limit = max(1, int(limits["cpu_s"] + 0.999))
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if timed_out:
        if cpu_s >= cpu_limit:
            return _result("cpu_limit", None, message=f"CPU time limit of {limits['cpu_s']}s exceeded")
        return _result("timeout", None, message=f"wall time limit of {limits['wall_s']}s exceeded")
    if too_big:
        return _result("output_limit", None, message="the task's report exceeded the output limit")
    if sig in _FAILURES:
        return _result(_FAILURES[sig][0], None, message=_FAILURES[sig][1])
    if sig == signal.SIGKILL and cpu_s >= cpu_limit:
        return _result("cpu_limit", None, message=f"CPU time limit of {limits['cpu_s']}s exceeded")
    report = _parse_report(raw, stateful)
    if report is None or (sig is None and os.WEXITSTATUS(status) not in (0, 71)):
        how = f"signal {signal.Signals(sig).name}" if sig else f"exit status {os.WEXITSTATUS(status)}"
        return _result("crashed", None, message=f"the task ended with {how} and no valid report")
    return report


def _parse_report(raw: bytes, stateful: bool) -> dict | None:
    """The child's report is untrusted: plain JSON, known keys, known statuses, bounded strings."""
    try:
        report = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(report, dict) or report.get("status") not in FROM_CHILD:
        return None
    result = _result(report["status"], None)
    result["value"] = report.get("value")
    for key in ("exc_type", "message", "traceback"):
        if isinstance(report.get(key), str):
            result[key] = report[key][:4000]
    if stateful and isinstance(report.get("state"), str):
        result["state"] = report["state"]
        result["state_changed"] = report.get("state_changed") is not False  # unknown: assume it changed
    return result


def _attach_output(result: dict, h: child.Hardening, limit: int) -> None:
    for key, path in (("stdout", h.stdout_path), ("stderr", h.stderr_path)):
        try:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
        except OSError:
            data = b""
        if len(data) > limit:
            data = data[:limit]
            if result["status"] in ("ok", "error"):
                result.update(status="output_limit", message=f"{key} longer than {limit} bytes")
        result[key] = data.decode("utf-8", "replace")


def _result(status: str, start: float | None, **fields) -> dict:
    result = {"status": status, "value": None, "stdout": "", "stderr": "", "exc_type": None,
              "message": None, "traceback": None, "cpu_ms": 0.0, "wall_ms": 0.0}
    result.update(fields)
    if start is not None:
        result["wall_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return result


def main(config: dict) -> None:
    # Keep the protocol pipes on private descriptors; stray prints go to stderr, not to the parent.
    control = os.dup(0)
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.path[:0] = [p for p in config.get("paths", []) if p not in sys.path]
    failed = []
    for name in [*PRELOAD, *config.get("preload", [])]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional module missing here is not fatal
            failed.append(name)
    h, folders, report = setup_protections(config)
    _sweep_stale_cgroups(report)
    gc.freeze()  # objects made so far are never touched again by the collector: fewer copied pages
    probe = run_task({"code": "result = sum(range(10))", "limits": {
        "wall_s": 5.0, "cpu_s": 5.0, "memory_mb": 64, "output_bytes": 1024, "file_bytes": 1024}}, h, control)
    report["self_test"] = {"active": probe["status"] == "ok" and probe["value"] == 45,
                           "detail": probe["message"] or "a hardened child ran and reported"}
    requests = os.fdopen(control, "rb", buffering=0)
    out.write(json.dumps({"ready": True, "pid": os.getpid(), "protections": report,
                          "preload_failed": failed}) + "\n")
    try:
        for line in _lines(requests):
            task = json.loads(line)
            try:
                result = run_task(task, h, control, folders)
            except Exception as exc:  # noqa: BLE001 - keep serving; the pool sees a crash
                result = _result("crashed", None, message=f"worker error: {exc!r}")
            out.write(json.dumps(result) + "\n")
    finally:
        shutil.rmtree(os.path.dirname(h.scratch), ignore_errors=True)
        _leave_cgroup(report)


def _lines(stream):
    """Read request lines straight from the pipe (no read-ahead buffer, so poll() stays truthful)."""
    buffer = b""
    while True:
        data = stream.read(1 << 16)
        if not data:
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line

