"""Per-task limits, from the recipe's `sandbox` section."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    wall_s: float = 5.0
    cpu_s: float = 5.0
    memory_mb: int = 512
    output_bytes: int = 65536
