"""How long a GGUF file should be, read from its own header: the end of its last tensor's data.

A GGUF file is a header (magic, version, counts), key-value metadata, one info entry per tensor
(name, shape, ggml type, offset into the data section), then the data section, aligned to
`general.alignment` (32 by default). So the bytes a complete file needs are known before reading
any tensor: a cut-off download is named as such ("N of M bytes") instead of by llama.cpp's
internal failure.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

# ggml type → (elements per block, bytes per block), from ggml.h / ggml.c's type traits
_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
    22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}
# metadata value type → struct format of one scalar (8: string, 9: array are read apart)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


class Truncated(Exception):
    """The header itself ends before it says it does."""


class _Reader:
    def __init__(self, f):
        self.f = f
        self.size = os.fstat(f.fileno()).st_size

    def take(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        data = self.f.read(size)
        if len(data) < size:
            raise Truncated
        return struct.unpack("<" + fmt, data)[0]

    def string(self) -> bytes:
        n = self.take("Q")
        if n > 1 << 24:
            raise ValueError("a metadata string longer than 16 MB")
        data = self.f.read(n)
        if len(data) < n:
            raise Truncated
        return data

    def value(self, kind: int):
        if kind == 8:
            return self.string()
        if kind == 9:
            item, n = self.take("I"), self.take("Q")
            if item in _SCALARS:  # skip the block without decoding it (vocabularies are large)
                size = struct.calcsize("<" + _SCALARS[item]) * n
                if self.f.tell() + size > self.size:
                    raise Truncated
                self.f.seek(size, os.SEEK_CUR)
                return None
            return [self.value(item) for _ in range(n)]
        if kind not in _SCALARS:
            raise ValueError(f"unknown metadata type {kind}")
        return self.take(_SCALARS[kind])


def expected_size(path: str | Path) -> int | None:
    """The bytes a complete copy of this GGUF holds up to the end of its last tensor, or None when
    the file is not a GGUF this can read (another version, an unknown tensor type). Raises Truncated
    when the file ends inside its own header."""
    with open(path, "rb") as f:
        r = _Reader(f)
        if f.read(4) != b"GGUF":
            return None
        version = r.take("I")
        if version not in (2, 3):
            return None
        n_tensors, n_kv = r.take("Q"), r.take("Q")
        alignment = 32
        for _ in range(n_kv):
            key, kind = r.string(), r.take("I")
            value = r.value(kind)
            if key == b"general.alignment" and isinstance(value, int) and value > 0:
                alignment = value
        end = 0
        for _ in range(n_tensors):
            r.string()
            dims = [r.take("Q") for _ in range(r.take("I"))]
            kind, offset = r.take("I"), r.take("Q")
            if kind not in _BLOCKS:
                return None
            per_block, block_bytes = _BLOCKS[kind]
            elements = 1
            for d in dims:
                elements *= d
            end = max(end, offset + elements // per_block * block_bytes)
        start = -(-f.tell() // alignment) * alignment
        return start + end


def _file_size(path) -> int:
    return Path(path).stat().st_size


def damage(path: str | Path) -> str:
    """Why a GGUF that llama.cpp refused looks damaged, in words: "truncated or damaged (N of M bytes
    expected)" when its header says more bytes than it has, else without the figures."""
    size = _file_size(path)
    try:
        expected = expected_size(path)
    except Truncated:
        return f"truncated or damaged (its header is cut off: the file has only {size:,} bytes)"
    except (OSError, ValueError, struct.error):
        expected = None
    if expected is not None and size < expected:
        return f"truncated or damaged ({size:,} of {expected:,} bytes expected)"
    return "truncated or damaged, or a model this llama.cpp does not support"
