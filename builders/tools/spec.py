"""A tool is an OpenAI / Hugging Face function spec plus how to execute it.

The spec half (`name`, `description`, `parameters`) is what the model sees and what goes into
the `tools` column of every row. The `target` half tells the sandbox what to run: it is plain
JSON, so it crosses process boundaries (Dask workers, sandbox children) without pickling code.

Targets understood by the sandbox:
  {"kind": "python", "module": "builders.tools.builtin", "function": "calculator"}
  {"kind": "python", "file": "/abs/path/tools.py", "function": "lookup"}
  {"kind": "python", "file": "/abs/path/env.py", "class": "FileSystem", "method": "read", "init": {}}
      a method of a stateful environment: one instance per episode, carried between the calls
      of that episode as an opaque state blob (see builders/tools/environment.py)
  {"kind": "http", "base_url": "http://127.0.0.1:8000", "method": "GET", "path": "/items/{id}",
   "params": {"id": "path", "q": "query"}}                 an operation of an OpenAPI document

`schemas/tool.schema.json` describes `Tool.to_dict()`.
"""

from __future__ import annotations

import json
import re
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
    source: str = "builtin"          # where it was defined: "builtin", a file, a module, a URL
    domain: str = ""                 # the built-in catalogue's domain (math, dates, …); "" for users' tools

    @property
    def environment(self) -> str | None:
        """The stateful environment (class) this tool is a method of, or None."""
        return self.target.get("class")

    def to_dict(self) -> dict:
        """Everything about the tool as plain JSON (validated by schemas/tool.schema.json)."""
        out = {"name": self.name, "description": self.description, "parameters": self.parameters,
               "version": self.version, "target": self.target, "source": self.source}
        if self.returns is not None:
            out["returns"] = self.returns
        if self.examples:
            out["examples"] = list(self.examples)
        if self.domain:
            out["domain"] = self.domain
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Tool":
        return cls(name=data["name"], description=data["description"], parameters=data["parameters"],
                   target=data["target"], version=str(data.get("version", "1")), returns=data.get("returns"),
                   examples=tuple(data.get("examples", ())), source=data.get("source", "builtin"),
                   domain=data.get("domain", ""))

    def spec(self) -> dict:
        """The function-calling spec (what the model sees; what rows carry in `tools`)."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    def doc(self) -> str:
        """A compact text rendering for prompts."""
        return f"{self.name}: {self.description}\nparameters: {json.dumps(self.parameters)}"


@dataclass
class ToolCallError:
    """Why a call's arguments were refused before anything ran."""

    reason: str  # one of REASONS
    message: str
    path: str = ""
    details: dict = field(default_factory=dict)


_REASONS = {
    "required": "missing_required",
    "type": "wrong_type",
    "enum": "enum_violation",
    "const": "enum_violation",
    "additionalProperties": "unexpected_argument",
    "unevaluatedProperties": "unexpected_argument",
}
REASONS = ("unknown_tool", "missing_required", "wrong_type", "enum_violation", "unexpected_argument",
           "invalid_arguments")
# Finer kinds of `invalid_arguments`, given in ToolCallError.details["check"] (the reason codes
# above are the stable set the rejected rows and docs/dataset.md use).
_CHECKS = {
    "minimum": "out_of_range", "maximum": "out_of_range",
    "exclusiveMinimum": "out_of_range", "exclusiveMaximum": "out_of_range",
    "minLength": "out_of_range", "maxLength": "out_of_range",
    "minItems": "out_of_range", "maxItems": "out_of_range",
    "format": "bad_format", "pattern": "bad_format",
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
        details = {"keyword": err.validator}
        if err.validator in _CHECKS:
            details["check"] = _CHECKS[err.validator]
        if err.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", err.message)
            if missing:
                details["argument"] = missing.group(1)
        errors.append(ToolCallError(_REASONS.get(err.validator, "invalid_arguments"), err.message, path, details))
    return errors


NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


def check_definition(name, description, parameters) -> list[str]:
    """Problems with a function definition (name, description, parameter schema); [] when sound."""
    problems = []
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"name {name!r} must be 1-64 letters, digits, _ or -, not starting with a digit")
    if not isinstance(description, str) or not description.strip():
        problems.append("has no description")
    if not isinstance(parameters, dict):
        return problems + ["parameters must be a JSON Schema object"]
    if parameters.get("type") != "object":
        problems.append('parameters must be a JSON Schema with "type": "object"')
    try:
        jsonschema.Draft202012Validator.check_schema(parameters)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        problems.append(f"parameters are not a valid JSON Schema at {where}: {exc.message}")
    return problems
