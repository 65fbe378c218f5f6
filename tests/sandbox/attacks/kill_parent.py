"""Kill the worker that forked us, and init for good measure. Expected: forbidden (EPERM:
Landlock signal scoping and the nobody uid)."""
import os
import signal

os.kill(os.getppid(), signal.SIGKILL)
os.kill(1, signal.SIGKILL)
result = "killed"
