"""Per-task limits, from the recipe's `sandbox` section."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    wall_s: float = 5.0          # enforced by the worker with SIGKILL
    cpu_s: float = 5.0           # RLIMIT_CPU, whole seconds (rounded up)
    memory_mb: int = 512         # address space the task may add to the pre-warmed worker's
    output_bytes: int = 65536    # stdout, stderr and the JSON return value, each
    file_bytes: int = 16 * 2**20  # largest file the task may write (scratch, stdout): RLIMIT_FSIZE
