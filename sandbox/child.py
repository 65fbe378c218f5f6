"""The sandboxed side: read one request as JSON on stdin, run it, print one JSON result.

Run as `python -I -m sandbox.child` in a fresh process with no inherited environment.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import io
import json
import pickle
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


def _load_module(target: dict):
    if "module" in target:
        return importlib.import_module(target["module"])
    spec = importlib.util.spec_from_file_location("toolmint_user_tools", target["file"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so instances of its classes pickle by reference
    spec.loader.exec_module(module)
    return module


def _call(target: dict, arguments: dict, state: str | None, result: dict):
    """Call a function, or a method of a stateful environment.

    A stateful environment's instance travels between calls as an opaque pickle, made and
    opened only here, in the sandbox; the parent stores it and hands it back, never opens it.
    """
    module = _load_module(target)
    if "class" not in target:
        return getattr(module, target["function"])(**arguments)
    if state is None:
        instance = getattr(module, target["class"])(**target.get("init", {}))
    else:
        instance = pickle.loads(base64.b64decode(state))
    value = getattr(instance, target["method"])(**arguments)
    result["state"] = base64.b64encode(pickle.dumps(instance)).decode()
    return value


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
                value = _call(request["target"], request["arguments"], request.get("state"), result)
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
