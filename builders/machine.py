"""The cores this process may use, counted in one place: llama.cpp threads spin while they wait, so
every layout decision (worker processes, llama.cpp threads, a cluster worker's share of its host)
divides this number."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0))


def threads_per_process(processes: int, available: int | None = None) -> int:
    """llama.cpp threads spin: keep processes × threads ≤ cores (DESIGN.md, measured)."""
    return max(1, (available or cores()) // max(1, processes))
