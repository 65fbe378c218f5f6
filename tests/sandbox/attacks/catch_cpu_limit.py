"""Ignore SIGXCPU (the soft CPU limit) and keep burning. Expected: cpu_limit (the hard limit kills)."""
import signal

signal.signal(signal.SIGXCPU, signal.SIG_IGN)
while True:
    try:
        pass
    except BaseException:
        pass
