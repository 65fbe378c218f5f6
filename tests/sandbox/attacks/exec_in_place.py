"""Replace the task process with a shell (execve without fork). Expected: forbidden."""
import os

os.execv("/bin/sh", ["/bin/sh", "-c", "id"])
