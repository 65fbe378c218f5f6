"""Talk to a local service over a Unix socket path (D-Bus, Docker, syslog), which the network
namespace does not cover. Expected: forbidden (socket() is refused; only socketpair() is allowed)."""
import socket

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect("/run/dbus/system_bus_socket")
result = "connected"
