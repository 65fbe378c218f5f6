"""Print 100 MB. Expected: output_limit (RLIMIT_FSIZE on the captured stdout kills the task)."""
import sys

chunk = "x" * 2**20
for _ in range(100):
    sys.stdout.write(chunk)
sys.stdout.flush()
result = "printed"
