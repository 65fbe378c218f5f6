"""Use no CPU but hold the worker for ever. Expected: timeout (SIGKILL at the wall deadline)."""
import time

time.sleep(3600)
