"""Burn CPU for ever. Expected: cpu_limit (RLIMIT_CPU)."""
while True:
    pass
