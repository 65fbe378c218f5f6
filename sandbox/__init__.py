"""Isolated execution of tool calls and model-written code.

Every builder goes through this API; nothing untrusted runs in the builder's own process.

    box = Sandbox(Limits(wall_s=5))
    result = box.call_tool({"kind": "python", "module": "m", "function": "f"}, {"x": 1})
    result = box.run_code("def f(): ...\nresult = f()")
    box.close()

A result is a plain JSON-able dict:
    status     ok | error | timeout | cpu_limit | memory_limit | output_limit | forbidden | crashed
    value      the return value (JSON-able; anything else is given as its repr)
    stdout, stderr   bounded text
    exc_type, message, traceback   when status is error
    cpu_ms, wall_ms
    fault      "transport" when an HTTP tool's call never reached its service (sandbox/http.py)
"""

from sandbox.limits import STATUSES, Limits
from sandbox.runner import Sandbox, SandboxRefused


__all__ = ["Limits", "Sandbox", "SandboxRefused", "STATUSES"]
