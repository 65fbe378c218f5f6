"""toolmint: tool-use training data built offline, every call really executed."""

__version__ = "0.1.0"
