"""Isolated executions per second of a trivial tool on all cores, next to the naive rate.

Isolated: the Sandbox pool (pre-warmed workers, one hardened forked child per call).
Naive: one fresh `python -I` subprocess per call that imports the tool, runs it and prints JSON —
what the first version of sandbox/ did — measured in the same run, on the same cores. Also printed:
the bare-interpreter floor (start Python, eval, print), which no per-call interpreter can beat.
Ends with one JSON line: {"bench": "sandbox", "isolated_per_s": …, "naive_per_s": …, "workers": …}.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sandbox import Sandbox  # noqa: E402
from sandbox.limits import default_workers  # noqa: E402

TARGET = {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}
NAIVE = ("import json, sys, importlib; t = json.load(sys.stdin); "
         "f = getattr(importlib.import_module(t['module']), t['function']); "
         "print(json.dumps({'status': 'ok', 'value': f(**t['arguments'])}))")
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))


def rate(call, workers: int, seconds: float) -> tuple[float, int]:
    """Calls per second with one calling thread per worker, each checking its answers."""
    deadline = time.perf_counter() + seconds

    def loop(i):
        n = 0
        while time.perf_counter() < deadline:
            assert call(f"{i}+{n}") == i + n
            n += 1
        return n

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        calls = sum(pool.map(loop, range(workers)))
    return calls / (time.perf_counter() - start), calls


def naive_call(expression: str):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    task = dict(TARGET, arguments={"expression": expression})
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {root!r}); " + NAIVE],
                          input=json.dumps(task), capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/tmp")
    return json.loads(proc.stdout)["value"]


def bare_call(expression: str):
    """The floor of any per-call interpreter: start Python, evaluate, print; no tool module at all."""
    proc = subprocess.run([sys.executable, "-I", "-c", "import sys; print(eval(sys.stdin.read()))"],
                          input=expression, capture_output=True, text=True, timeout=30, env={}, cwd="/tmp")
    return int(proc.stdout)


def main() -> None:
    workers = default_workers()
    started = time.perf_counter()
    with Sandbox(workers=workers) as box:
        print(f"pool of {workers} workers ready in {time.perf_counter() - started:.2f}s; "
              f"protections missing: {box.missing or 'none'}")
        call = lambda e: box.call_tool(TARGET, {"expression": e})["value"]  # noqa: E731
        rate(call, workers, 0.5)  # warm-up
        isolated, n_iso = rate(call, workers, SECONDS)
    naive, n_naive = rate(naive_call, workers, SECONDS)
    bare, n_bare = rate(bare_call, workers, SECONDS / 2)
    print(f"isolated (pool, hardened fork per call): {isolated:8.1f} /s  ({n_iso} calls)")
    print(f"naive (fresh interpreter per call):      {naive:8.1f} /s  ({n_naive} calls)")
    print(f"bare interpreter floor (no tool import): {bare:8.1f} /s  ({n_bare} calls)")
    print(f"ratio: {isolated / naive:.1f}x the naive rate, {isolated / bare:.1f}x the bare floor")
    print(json.dumps({"bench": "sandbox", "isolated_per_s": round(isolated, 1), "naive_per_s": round(naive, 1),
                      "workers": workers}))


if __name__ == "__main__":
    main()
