"""A seccomp-BPF filter, assembled by hand (no libseccomp): the system calls a task may never make.

Forbidden calls kill the whole task process (SIGSYS), which the worker reports as `forbidden`, so
guest code cannot catch the refusal and carry on. What is forbidden: new processes (fork, vfork,
clone without CLONE_THREAD, execve), socket() of any family (only connected AF_UNIX pairs from
socketpair(), which asyncio needs, and which can reach nothing outside the task), ptrace and cross-process memory
access, namespaces and mounts, io_uring (it can do network I/O behind the socket filter), kernel
keyrings, BPF, perf, module loading, and the 32-bit / x32 system call tables. `clone3` answers
ENOSYS so that glibc falls back to `clone`, whose flags a filter can inspect.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
_RET_KILL_PROCESS, _RET_ALLOW, _RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16

CLONE_THREAD = 0x00010000
_CLONE_NAMESPACES = 0x7E020000  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
AF_UNIX = 1

FORBIDDEN = {  # x86_64 numbers
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438, "kcmp": 312,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "open_by_handle_at": 304, "name_to_handle_at": 303,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320,
    "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163, "quotactl": 179, "syslog": 103,
    "personality": 135, "iopl": 172, "ioperm": 173, "uselib": 134, "vhangup": 153,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
}
_CLONE, _CLONE3, _SOCKET, _SOCKETPAIR = 56, 435, 41, 53

_SET_MODE_FILTER = 1
_SECCOMP_SYSCALL = 317
_PR_SET_NO_NEW_PRIVS = 38


def supported() -> bool:
    return platform.machine() == "x86_64"


def build_filter() -> bytes:
    """The BPF program as bytes (struct sock_filter[]), built once per worker."""
    prog: list[tuple] = []  # (code, jt_label, jf_label, k); labels resolve to relative jumps

    def ins(code, k=0, jt=None, jf=None):
        prog.append((code, jt, jf, k))

    ins(_LD_W_ABS, _OFF_ARCH)
    ins(_JEQ, _AUDIT_ARCH_X86_64, jt=None, jf="kill")
    ins(_LD_W_ABS, _OFF_NR)
    ins(_JGE, _X32_BIT, jt="kill")
    for number in FORBIDDEN.values():
        ins(_JEQ, number, jt="kill")
    ins(_JEQ, _CLONE3, jt="enosys")
    ins(_JEQ, _CLONE, jt="clone")
    ins(_JEQ, _SOCKET, jt="kill")
    ins(_JEQ, _SOCKETPAIR, jt="socketpair")
    ins(_RET, _RET_ALLOW)
    prog.append("clone")
    ins(_LD_W_ABS, _OFF_ARG0)
    ins(_JSET, _CLONE_NAMESPACES, jt="kill")
    ins(_JSET, CLONE_THREAD, jt="allow", jf="kill")
    prog.append("socketpair")
    ins(_LD_W_ABS, _OFF_ARG0)
    ins(_JEQ, AF_UNIX, jt="allow", jf="kill")
    prog.append("enosys")
    ins(_RET, _RET_ERRNO | errno.ENOSYS)
    prog.append("allow")
    ins(_RET, _RET_ALLOW)
    prog.append("kill")
    ins(_RET, _RET_KILL_PROCESS)

    labels, out, index = {}, [], 0
    for item in prog:
        if isinstance(item, str):
            labels[item] = index
        else:
            index += 1
    index = 0
    for item in prog:
        if isinstance(item, str):
            continue
        code, jt, jf, k = item
        rel = lambda label: 0 if label is None else labels[label] - index - 1  # noqa: E731
        jt_off, jf_off = rel(jt), rel(jf)
        assert 0 <= jt_off < 256 and 0 <= jf_off < 256
        out.append(struct.pack("=HBBI", code, jt_off, jf_off, k))
        index += 1
    return b"".join(out)


def no_new_privs() -> None:
    """From here on, execve can never grant privileges: required for unprivileged seccomp and Landlock."""
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def install(program: bytes) -> None:
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("=HxxxxxxQ", len(program) // 8, ctypes.addressof(buf))
    if _libc.syscall(ctypes.c_long(_SECCOMP_SYSCALL), ctypes.c_uint(_SET_MODE_FILTER), ctypes.c_uint(0),
                     ctypes.c_char_p(fprog)) != 0:
        raise OSError(ctypes.get_errno(), "seccomp(SET_MODE_FILTER) failed")


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
