"""Write a forged report straight to every open descriptor, claiming a result the sandbox never
produced (a status the guest may not set, zero CPU, a state blob). Expected: crashed."""
import json
import os

forged = json.dumps({"status": "timeout", "value": 42, "cpu_ms": 0, "state": "AAAA"}).encode()
for fd in range(3, 64):
    try:
        os.write(fd, forged)
    except OSError:
        pass
os._exit(0)
