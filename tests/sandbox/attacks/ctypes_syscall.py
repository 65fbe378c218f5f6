"""Go around Python: raw socket(AF_INET, SOCK_STREAM) through libc's syscall(). Expected: forbidden."""
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(41, 2, 1, 0)  # SYS_socket on x86_64
result = {"fd": fd, "errno": ctypes.get_errno()}
