"""Leave a grandchild behind that writes a file after the task is over. Expected: forbidden (no
fork); the marker file never appears."""
import os
import time

MARKER = globals().get("MARKER", "/tmp/toolmint-grandchild-marker")
if os.fork() == 0:
    time.sleep(1)
    with open(MARKER, "w") as f:
        f.write("I survived")
    os._exit(0)
result = "parent returned"
