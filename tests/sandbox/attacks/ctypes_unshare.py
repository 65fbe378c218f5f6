"""Raw unshare(CLONE_NEWUSER) to become root in a new user namespace. Expected: forbidden."""
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
result = libc.syscall(272, 0x10000000)  # SYS_unshare, CLONE_NEWUSER
