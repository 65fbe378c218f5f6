"""`toolmint tools list | show | call`: the catalogue, one tool's schema, one call through the sandbox.

Exit status: 0 success, 1 the tool failed, 2 invalid arguments / unknown tool / bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from builders.recipe import load_recipe
from builders.tools.catalogue import builtin_tools, load_toolset
from builders.tools.environment import checked_call


def register(subparsers) -> argparse.ArgumentParser:
    tools = subparsers.add_parser("tools", help="list, show and call tools (built-in and a recipe's own)")
    sub = tools.add_subparsers(dest="tools_command", metavar="{list,show,call}")
    sub.required = True

    p = sub.add_parser("list", help="list the built-in catalogue and a recipe's tools")
    _recipe_arg(p)
    p.add_argument("--json", action="store_true", help="print the tool specs as JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print one tool's description and parameter schema")
    p.add_argument("name")
    _recipe_arg(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("call", help="validate arguments and run one call through the sandbox")
    p.add_argument("name")
    p.add_argument("arguments", nargs="?", default="{}", help="the arguments as a JSON object")
    _recipe_arg(p)
    p.add_argument("--wall-s", type=float, default=None, help="wall-time limit of the call (seconds)")
    p.set_defaults(func=cmd_call)
    return tools


def _recipe_arg(p) -> None:
    p.add_argument("--recipe", "-r", help="also load the tools a recipe names (paths relative to its folder)")


def _toolset(args):
    """(tools by name, problems): the built-in catalogue plus the recipe's own tools."""
    tools = builtin_tools()
    problems: list[str] = []
    if getattr(args, "recipe", None):
        recipe = load_recipe(args.recipe)
        toolset = load_toolset(recipe.tools, source=recipe.path, base_dir=recipe.base_dir,
                               on_error=recipe.on_tool_error)
        for tool in toolset.tools:
            tools[tool.name] = tool  # a recipe's own tool shadows a built-in of the same name
        problems = toolset.problems
    return tools, problems


def cmd_list(args) -> int:
    tools, problems = _toolset(args)
    console = Console()
    if getattr(args, "json", False):
        print(json.dumps([t.to_dict() for t in tools.values()], indent=2))
        return 0
    table = Table(title=f"{len(tools)} tools", show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("domain / source", overflow="fold", max_width=24)
    table.add_column("v", no_wrap=True)
    table.add_column("parameters (? optional)", overflow="fold", max_width=30)
    table.add_column("description (first sentence)", overflow="fold", ratio=1)
    for t in tools.values():
        origin = t.domain if t.source == "builtin" else t.source + (f" ({t.environment})" if t.environment else "")
        props = t.parameters.get("properties", {})
        req = set(t.parameters.get("required", []))
        params = ", ".join(p + ("" if p in req else "?") for p in props)
        desc = t.description.split(". ")[0].rstrip(".") + "."
        table.add_row(t.name, origin, t.version, params, desc)
    console.print(table)
    for p in problems:
        console.print(f"[yellow]skipped:[/yellow] {p}", highlight=False)
    return 0


def cmd_show(args) -> int:
    tools, _ = _toolset(args)
    tool = tools.get(args.name)
    if tool is None:
        print(f"unknown tool {args.name!r}; `toolmint tools list` shows them", file=sys.stderr)
        return 2
    console = Console()
    console.print(f"[bold]{tool.name}[/bold]  version {tool.version}  ({tool.domain or tool.source})", highlight=False)
    console.print(tool.description, highlight=False)
    print(json.dumps(tool.to_dict(), indent=2))
    return 0


def cmd_call(args) -> int:
    from sandbox import Limits, Sandbox

    tools, _ = _toolset(args)
    try:
        arguments = json.loads(args.arguments)
    except json.JSONDecodeError as exc:
        print(json.dumps({"status": "invalid_arguments", "message": f"arguments are not JSON: {exc}",
                          "errors": [{"reason": "invalid_json", "message": str(exc), "path": ""}]}, indent=2))
        return 2
    limits = Limits(wall_s=args.wall_s) if getattr(args, "wall_s", None) else None
    with Sandbox(limits) as box:
        result = checked_call(tools.get(args.name), arguments, box, tool_name=args.name)
        for warning in box.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    result.pop("traceback", None)  # the message says what went wrong; the traceback is toolmint's plumbing
    print(json.dumps(result, indent=2, ensure_ascii=False, default=repr))
    if result["status"] == "invalid_arguments":
        return 2
    return 0 if result["status"] == "ok" else 1
