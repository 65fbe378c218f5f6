"""Open a listening port. Expected: forbidden."""
import socket

sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
sock.bind(("::", 8765))
sock.listen()
result = sock.getsockname()
