"""`toolmint sandbox exec FILE.py [--recipe R]` and `toolmint doctor`."""

from __future__ import annotations

import json
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from builders.errors import UserError
from builders.recipe import load_recipe
from sandbox.limits import default_workers, from_recipe
from sandbox.runner import Sandbox, SandboxRefused

TRIVIAL = {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}


def register(subparsers) -> None:
    sandbox = subparsers.add_parser("sandbox", help="run code in the sandbox")
    actions = sandbox.add_subparsers(dest="sandbox_command", required=True)
    run = actions.add_parser("exec", help="run a Python file in the sandbox and print the JSON result")
    run.add_argument("file", help="Python code; the value of its global `result` is returned")
    run.add_argument("--recipe", help="take limits from this recipe's `sandbox:` section")
    run.set_defaults(func=exec_file)
    doctor = subparsers.add_parser("doctor", help="show which sandbox protections are active here")
    doctor.add_argument("--seconds", type=float, default=1.0, help="how long to measure the rate")
    doctor.add_argument("--recipe", help="also show the model (and judge) this recipe names; default: the default model")
    doctor.set_defaults(func=doctor_report)


def _recipe_section(path: str | None) -> dict:
    """The recipe's `sandbox:` section, validated like `toolmint run` validates it."""
    if not path:
        return {}
    return load_recipe(path).sandbox


def exec_file(args) -> int:
    """Exit status 0 when the code ran to completion (status ok), 1 otherwise."""
    limits, _, accept_weaker = from_recipe(_recipe_section(args.recipe))
    try:
        with open(args.file, encoding="utf-8") as f:
            code = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{args.file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    with Sandbox(limits, workers=1, accept_weaker=accept_weaker) as box:
        try:
            result = box.run_code(code)
        except SandboxRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
        for warning in box.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["status"] == "ok" else 1


def measure_rate(box: Sandbox, seconds: float) -> float:
    """Trivial tool calls per second with one calling thread per worker."""
    deadline = time.perf_counter() + seconds

    def loop(_):
        n = 0
        while time.perf_counter() < deadline:
            assert box.call_tool(TRIVIAL, {"expression": "1+1"})["value"] == 2
            n += 1
        return n

    start = time.perf_counter()
    with ThreadPoolExecutor(box.workers) as pool:
        calls = sum(pool.map(loop, range(box.workers)))
    return calls / (time.perf_counter() - start)


def model_report(recipe_path: str | None) -> None:
    """The model a run would use: its name, sha256 and where the file came from (assembled once from
    its PyPI part packages for the embedded models)."""
    from builders.model_file import DEFAULT_MODEL, resolve_model

    named = [("model", DEFAULT_MODEL, "toolmint's default", None)]
    if recipe_path:
        from builders.recipe import load_recipe

        recipe = load_recipe(recipe_path)
        named = [(f, m, recipe.path, recipe.base_dir) for f, m in (("model", recipe.model), ("judge_model", recipe.judge_model))
                 if m is not None]
    for field, spec, source, base_dir in named:
        model = resolve_model(spec, source=source, base_dir=base_dir, field=field)
        print(f"{field} ({source}): {model.name}, {model.size / 1e6:,.0f} MB, sha256 {model.sha256}\n"
              f"  from {model.source}")


def doctor_report(args) -> int:
    """Exit status 0 when every essential protection is active, 1 otherwise."""
    model_report(getattr(args, "recipe", None))
    with Sandbox(workers=default_workers()) as box:
        print(f"toolmint sandbox on {platform.system()} {platform.release()} ({platform.machine()}), "
              f"{box.workers} workers")
        for name, info in box.protections.items():
            mark = "yes" if info.get("active") else "NO "
            print(f"  [{mark}] {name:<12} {info.get('detail', '')}")
        rate = measure_rate(box, args.seconds)
        print(f"  measured: {rate:.0f} isolated executions/s")
        if box.missing:
            print(f"  missing: {', '.join(box.missing)} -> model-written code is refused unless the recipe sets "
                  "sandbox.accept_weaker: true")
        return 1 if box.missing else 0
