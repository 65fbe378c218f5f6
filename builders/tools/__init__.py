"""Tools: specs, the built-in catalogue, and loaders for users' own tools.

    resolve_tools(recipe.tools, source=recipe_path)      -> list[Tool]   (UserError on problems)
    load_toolset(entries, source, on_error="skip")       -> Toolset(tools, problems)
    validate_arguments(tool, arguments, name)            -> list[ToolCallError] with reason codes
    Episode(sandbox).call(tool, arguments)               one episode's calls; stateful environments keep state
    checked_call(tool, arguments, sandbox)               validate, then execute through the sandbox
"""

from builders.tools.spec import REASONS, Tool, ToolCallError, validate_arguments
from builders.tools.catalogue import Toolset, builtin_tools, load_toolset, resolve_tools
from builders.tools.environment import Episode, checked_call
from builders.tools.pyfuncs import tool

__all__ = ["Tool", "ToolCallError", "REASONS", "validate_arguments", "builtin_tools", "resolve_tools",
           "load_toolset", "Toolset", "Episode", "checked_call", "tool"]
