"""The classic fork bomb. Expected: forbidden (no fork at all; the pids cgroup is a second fence)."""
import os

while True:
    os.fork()
