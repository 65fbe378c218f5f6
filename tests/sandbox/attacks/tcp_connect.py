"""Reach the network over TCP. Expected: forbidden (seccomp allows no socket but AF_UNIX)."""
import socket

result = socket.create_connection(("1.1.1.1", 443), timeout=2).getpeername()
