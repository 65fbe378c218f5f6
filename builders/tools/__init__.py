"""Tools: specs, the built-in catalogue, and loaders for users' own tools."""

from builders.tools.spec import Tool, ToolCallError, validate_arguments
from builders.tools.catalogue import builtin_tools, resolve_tools

__all__ = ["Tool", "ToolCallError", "validate_arguments", "builtin_tools", "resolve_tools"]
