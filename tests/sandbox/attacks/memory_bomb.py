"""Allocate without end. Expected: memory_limit (RLIMIT_AS turns it into MemoryError)."""
blocks = []
while True:
    blocks.append(bytearray(32 * 2**20))
