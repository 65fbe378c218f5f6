"""Run a shell command. Expected: forbidden (no new processes, no execve)."""
import subprocess

result = subprocess.run(["/bin/sh", "-c", "id; cat /root/.cache/huggingface/token"], capture_output=True).stdout
