"""The sandboxed side: read one request as JSON on stdin, run it, print one JSON result.

Run as `python -I -m sandbox.child` in a fresh process with no inherited environment.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import resource
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout


def _jsonable(value):
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _load_function(target: dict):
    if "module" in target:
        module = importlib.import_module(target["module"])
    else:
        spec = importlib.util.spec_from_file_location("toolmint_user_tools", target["file"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return getattr(module, target["function"])


def run(request: dict) -> dict:
    limits = request["limits"]
    cpu = max(1, int(limits["cpu_s"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = limits["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    out, err = io.StringIO(), io.StringIO()
    result = {"status": "ok", "value": None}
    start = time.process_time()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            if "code" in request:
                scope: dict = {"__name__": "__toolmint__"}
                exec(compile(request["code"], "<model-code>", "exec"), scope)
                value = scope.get("result")
            else:
                value = _load_function(request["target"])(**request["arguments"])
        result["value"] = _jsonable(value)
    except MemoryError:
        result.update(status="memory_limit", exc_type="MemoryError", message="memory limit exceeded")
    except BaseException as exc:  # noqa: BLE001 - the guest's failure is data
        result.update(status="error", exc_type=type(exc).__name__, message=str(exc)[:2000],
                      traceback=traceback.format_exc()[-4000:])
    limit = limits["output_bytes"]
    result["stdout"] = out.getvalue()[:limit]
    result["stderr"] = err.getvalue()[:limit]
    result["cpu_ms"] = round((time.process_time() - start) * 1000, 3)
    return result


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
