"""The built-in catalogue, and resolution of a recipe's `tools` list into Tool objects.

A recipe's `tools` entries:
    "calculator"                                  a built-in tool, or "all" for the whole catalogue
    {python: FILE_OR_MODULE, include: [names]}    typed, documented functions; classes = stateful environments
    {openai: FILE.json|yaml, implementation: FILE_OR_MODULE}
    {openapi: FILE, base_url: URL, include: [operationIds]}
    {library: FOLDER_OR_PARQUET, include: [names], top: N}   a CREATOR run's verified tools
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from builders.errors import UserError
from builders.tools.builtin import DOMAINS
from builders.tools.library import load_library_tools
from builders.tools.loaders import load_openai, load_openapi, load_python
from builders.tools.pyfuncs import describe_module
from builders.tools.spec import Tool

log = logging.getLogger("toolmint.tools")


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    for domain in DOMAINS:
        module = importlib.import_module(f"builders.tools.builtin.{domain}")
        specs, problems, _ = describe_module(module, {"module": module.__name__}, module.__name__)
        if problems:  # a bug in toolmint itself, caught by the tests
            raise RuntimeError("; ".join(p["message"] for p in problems))
        for spec in specs:
            if spec["name"] in tools:
                raise RuntimeError(f"built-in tool {spec['name']!r} is defined twice")
            tools[spec["name"]] = Tool(
                name=spec["name"], description=spec["description"], parameters=spec["parameters"],
                target=spec["target"], version=spec["version"], returns=spec.get("returns"),
                examples=tuple(spec.get("examples") or ()), source="builtin", domain=domain)
    return tools


def builtin_tools() -> dict[str, Tool]:
    """Every built-in tool by name, in catalogue order (domain by domain)."""
    return dict(_catalogue())


def __getattr__(name: str):
    if name == "BUILTIN":  # the old module-level dict, built on first use
        return builtin_tools()
    raise AttributeError(name)


@dataclass
class Toolset:
    """The tools a recipe names, and the problems met while loading them (skipped when on_error='skip')."""

    tools: list[Tool]
    problems: list[str] = field(default_factory=list)

    def by_name(self) -> dict[str, Tool]:
        return {t.name: t for t in self.tools}


def load_toolset(entries: list, source: str = "recipe", *, base_dir: str | Path | None = None,
                 on_error: str = "fail") -> Toolset:
    """Resolve a recipe's `tools` list. With on_error='fail' any problem raises UserError (one line per
    problem, "FILE: tools[i]: …"); with 'skip' the faulty tools are left out and the problems kept."""
    if on_error not in ("fail", "skip"):
        raise UserError(f"{source}: on_tool_error must be 'fail' or 'skip', not {on_error!r}")
    if base_dir is None:
        src = Path(str(source))
        base_dir = src.parent if src.suffix in (".yaml", ".yml", ".json") else Path.cwd()
    catalogue = _catalogue()
    tools: list[Tool] = []
    problems: list[str] = []
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{source}: tools: give a non-empty list of tools")
    for i, entry in enumerate(entries):
        where = f"{source}: tools[{i}]"
        found: list[Tool] = []
        found_problems: list[str] = []
        if entry == "all":
            found = list(catalogue.values())
        elif isinstance(entry, str):
            if entry in catalogue:
                found = [catalogue[entry]]
            else:
                found_problems = [f"unknown tool {entry!r} (built-in: {', '.join(sorted(catalogue))})"]
        elif isinstance(entry, dict) and "python" in entry:
            found, found_problems = load_python(entry["python"], base_dir, entry.get("include"))
        elif isinstance(entry, dict) and "openai" in entry:
            found, found_problems = load_openai(entry["openai"], entry.get("implementation"), base_dir)
        elif isinstance(entry, dict) and "library" in entry:
            try:
                found = load_library_tools(_beside(entry["library"], base_dir), include=entry.get("include"),
                                           top=entry.get("top"))
            except UserError as exc:  # one line per faulty library row, like the other loaders' problems
                found_problems = exc.problems
        elif isinstance(entry, dict) and "openapi" in entry:
            found, found_problems = load_openapi(entry["openapi"], entry.get("base_url"), base_dir, entry.get("include"))
        else:
            found_problems = [f"not a tool entry: {entry!r} (a built-in name, 'all', or python / openai / openapi / library)"]
        tools += found
        problems += [f"{where}: {p}" for p in found_problems]
    unique: dict[str, Tool] = {}
    for tool in tools:
        if tool.name in unique:
            first = unique[tool.name]
            if first == tool:
                problems.append(f"{source}: tools: {tool.name!r} is listed twice")
            else:
                problems.append(f"{source}: tools: two tools are named {tool.name!r}: from {first.source} and "
                                f"from {tool.source} (rename one, or use include: to pick)")
            continue
        unique[tool.name] = tool
    if problems and on_error == "fail":
        raise UserError(*problems)
    for p in problems:
        log.warning("skipped: %s", p)
    if not unique:
        raise UserError(*(problems or [f"{source}: tools: no tools"]), f"{source}: tools: no usable tools are left")
    return Toolset(list(unique.values()), problems)


def resolve_tools(entries: list, source: str = "recipe", *, base_dir: str | Path | None = None,
                  on_error: str = "fail") -> list[Tool]:
    """Turn a recipe's `tools` list into Tool objects, in order (see load_toolset)."""
    return load_toolset(entries, source, base_dir=base_dir, on_error=on_error).tools


def with_base_url(tool: Tool, base_url: str) -> Tool:
    """The same HTTP tool pointed at another server (tests, staging)."""
    return replace(tool, target=dict(tool.target, base_url=base_url))


def _beside(path: str, base_dir) -> str:
    """A path as the recipe gives it: relative to the recipe's folder when it is not found as given."""
    given = Path(path).expanduser()
    if not given.is_absolute() and not given.exists() and base_dir:
        return str(Path(base_dir) / given)
    return str(given)
