"""A tool is an OpenAI / Hugging Face function spec plus how to execute it.

The spec half (`name`, `description`, `parameters`) is what the model sees and what goes into
the `tools` column of every row. The `target` half tells the sandbox what to run: it is plain
JSON, so it crosses process boundaries (Dask workers, sandbox children) without pickling code.

Targets understood by the sandbox:
  {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}
  {"kind": "python", "file": "/abs/path/tools.py", "function": "lookup"}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import jsonschema


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict
    target: dict
    version: str = "1"
    returns: dict | None = None
    examples: tuple = ()

    def spec(self) -> dict:
        """The function-calling spec (what the model sees; what rows carry in `tools`)."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    def doc(self) -> str:
        """A compact text rendering for prompts."""
        return f"{self.name}: {self.description}\nparameters: {json.dumps(self.parameters)}"


@dataclass
class ToolCallError:
    """Why a call's arguments were refused before anything ran."""

    reason: str  # unknown_tool, missing_required, wrong_type, enum_violation, unexpected_argument, invalid_arguments
    message: str
    path: str = ""
    details: dict = field(default_factory=dict)


_REASONS = {
    "required": "missing_required",
    "type": "wrong_type",
    "enum": "enum_violation",
    "const": "enum_violation",
    "additionalProperties": "unexpected_argument",
}


@lru_cache(maxsize=1024)
def _validator(schema_json: str):
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_arguments(tool: Tool | None, arguments, tool_name: str = "") -> list[ToolCallError]:
    """Check a call's arguments against the tool's parameter schema; [] means valid."""
    if tool is None:
        return [ToolCallError("unknown_tool", f"no tool named {tool_name!r}")]
    if not isinstance(arguments, dict):
        return [ToolCallError("wrong_type", "arguments must be a JSON object")]
    validator = _validator(json.dumps(tool.parameters, sort_keys=True))
    errors = []
    for err in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in err.absolute_path)
        errors.append(ToolCallError(_REASONS.get(err.validator, "invalid_arguments"), err.message, path))
    return errors
