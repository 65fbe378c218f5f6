"""Per-task limits, from the recipe's `sandbox` section."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    wall_s: float = 5.0          # enforced by the worker with SIGKILL
    cpu_s: float = 5.0           # RLIMIT_CPU, whole seconds (rounded up)
    memory_mb: int = 512         # address space the task may add to the pre-warmed worker's
    output_bytes: int = 65536    # stdout, stderr and the JSON return value, each
    file_bytes: int = 16 * 2**20  # largest file the task may write (scratch, stdout): RLIMIT_FSIZE


def default_workers() -> int:
    """One worker per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def from_recipe(section: dict | None) -> tuple[Limits, int, bool]:
    """(limits, workers, accept_weaker) from a recipe's `sandbox:` section (already validated, or raw YAML)."""
    section = dict(section or {})
    workers = section.pop("workers", "auto")
    accept_weaker = bool(section.pop("accept_weaker", False))
    known = {name: section[name] for name in Limits.__dataclass_fields__ if name in section}
    unknown = set(section) - set(known)
    if unknown:
        raise ValueError(f"unknown sandbox settings: {', '.join(sorted(unknown))}")
    return Limits(**known), default_workers() if workers == "auto" else int(workers), accept_weaker


# How a call or a piece of code ended: the one set every caller of the sandbox reads.
STATUSES = ("ok", "error", "timeout", "cpu_limit", "memory_limit", "output_limit", "forbidden", "crashed")
