"""Load a recipe: YAML → `--set` overrides → JSON Schema validation → defaults → frozen Recipe.

Every problem becomes one line naming the file and the field path, e.g.
`recipes/x.yaml: method.episodes: -3 is less than the minimum of 1`.
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

import schemas
from builders.errors import UserError, field_path


@dataclass(frozen=True)
class Recipe:
    path: str
    name: str
    model: object
    tools: list
    method: dict
    seed: int = 0
    judge_model: object = None  # None: the model judges its own rows
    description: str = ""
    on_tool_error: str = "fail"
    sandbox: dict = field(default_factory=dict)
    dask: dict = field(default_factory=dict)
    output: str = ""
    data: dict = field(default_factory=dict)  # the validated document, defaults filled

    @property
    def base_dir(self) -> str:
        return str(Path(self.path).parent) if self.path else "."

    def identity(self) -> dict:
        """What decides the rows: everything but where they go and how the work is scheduled."""
        return {k: v for k, v in self.data.items() if k not in ("output", "dask", "description")}


def load_recipe(path: str, overrides: list[str] = ()) -> Recipe:
    text = _read(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise UserError(f"{path}: {where}not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: a recipe is a YAML mapping (name, model, tools, method …), got {type(data).__name__}")
    set_fields = {}
    for item in overrides:
        key = apply_override(data, item)
        set_fields[key] = item
    return recipe_from_dict(data, path, set_fields)


def recipe_from_dict(data: dict, path: str = "recipe", set_fields: dict | None = None) -> Recipe:
    data = copy.deepcopy(data)
    problems = validation_problems(data, path, set_fields or {})
    if problems:
        raise UserError(*problems)
    _fill_defaults(data)
    return Recipe(
        path=path, name=data["name"], model=data["model"], tools=data["tools"], method=data["method"],
        seed=data["seed"], judge_model=data.get("judge_model"), description=data.get("description", ""), on_tool_error=data["on_tool_error"],
        sandbox=data["sandbox"], dask=data["dask"], output=data.get("output") or f"output/{data['name']}",
        data=data,
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise UserError(f"{path}: no such recipe file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def apply_override(data: dict, item: str) -> str:
    """Apply `--set a.b[0].c=VALUE` (VALUE read as YAML) in place; returns the field path."""
    key, sep, raw = item.partition("=")
    parts = [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _SEGMENT.finditer(key)]
    if not sep or not parts or "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".") != key.strip():
        raise UserError(f"--set {item}: expected PATH=VALUE, e.g. --set method.episodes=1")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise UserError(f"--set {item}: {field_path(parts[:i + 1])} does not exist")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise UserError(f"--set {item}: {field_path(parts[:i])} is not a mapping")
            node = node.setdefault(part, [] if isinstance(nxt, int) else {})
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last > len(node):
            raise UserError(f"--set {item}: {field_path(parts)} does not exist")
        node[last:last + 1] = [value]
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise UserError(f"--set {item}: {field_path(parts[:-1])} is not a mapping")
    return field_path(parts)


def recipe_schema() -> dict:
    """The recipe schema with each registered method's section: `method.name` is one of the
    registry's names, and the section of the method named is checked and defaulted."""
    from builders.methods import REGISTRY

    schema = copy.deepcopy(schemas.load("recipe"))
    method = schema["properties"]["method"]
    method["properties"]["name"] = {"enum": sorted(REGISTRY)}
    method["allOf"] = [
        {"if": {"properties": {"name": {"const": name}}},
         "then": {"properties": {"name": True, **m.section}, "additionalProperties": False}}
        for name, m in sorted(REGISTRY.items())
    ]
    return schema


def validation_problems(data: dict, path: str, set_fields: dict) -> list[str]:
    schema = recipe_schema()
    validator = jsonschema.Draft202012Validator(schema)
    lines = []
    errors = [leaf for err in validator.iter_errors(data) for leaf in _most_specific(err)]
    for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        where = field_path(err.absolute_path)
        origin = next((f" (--set {item})" for key, item in set_fields.items() if where.startswith(key) or key.startswith(where)), "")
        lines.append(f"{path}{origin}: {where}: {_message(err)}")
    return sorted(set(lines), key=lines.index)


def _most_specific(err) -> list:
    """oneOf errors say 'not valid under any of the given schemas'. Find the branch the user meant
    (the one whose type matches and whose required keys are present) and report its own errors."""
    if not err.context or not isinstance(err.instance, (dict, list)):
        return [err]
    branches: dict = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    keys = set(err.instance) if isinstance(err.instance, dict) else set()

    def meant(index, errs):
        required = set(err.validator_value[index].get("required", []))
        wrong_type = any(e.validator == "type" and not e.relative_path for e in errs)
        return not wrong_type and (not required or required & keys)

    meant = [errs for index, errs in branches.items() if meant(index, errs)]
    if len(meant) == 1:
        return [leaf for sub in meant[0] for leaf in _most_specific(sub)]
    return [err]


def _describe(schema: dict) -> str:
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return " or ".join(map(repr, schema["enum"]))
    if schema.get("type") == "object" and schema.get("required"):
        return "a mapping with " + " and ".join(schema["required"])
    text = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
            "object": "a mapping", "array": "a list"}.get(schema.get("type"), "a valid value")
    bounds = [f"≥ {schema['minimum']}" if "minimum" in schema else "", f"≤ {schema['maximum']}" if "maximum" in schema else ""]
    return " ".join([text, *filter(None, bounds)])


def _message(err) -> str:
    if err.validator == "oneOf" and all(set(b) == {"required"} for b in err.validator_value):
        return "give exactly one of: " + ", ".join(" and ".join(b["required"]) for b in err.validator_value)
    if err.validator in ("oneOf", "anyOf"):
        return f"{err.instance!r} is not valid here: expected {' or '.join(_describe(s) for s in err.validator_value)}"
    if err.validator == "additionalProperties":
        allowed = list((err.schema.get("properties") or {}).keys())
        extra = [k for k in err.instance if k not in allowed] if isinstance(err.instance, dict) else []
        hints = []
        for key in extra:
            close = difflib.get_close_matches(key, allowed, n=1)
            hints.append(f"unknown field {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        if hints:
            return "; ".join(hints) + f"; allowed: {', '.join(allowed)}"
    if err.validator == "enum":
        return f"{err.instance!r} is not one of {', '.join(map(repr, err.validator_value))}"
    return err.message


def _section_defaults(props: dict) -> dict:
    return {k: copy.deepcopy(v["default"]) for k, v in props.items() if isinstance(v, dict) and "default" in v}


def _fill_defaults(data: dict) -> None:
    """Fill defaults from the schema itself, so the schema is the one place they are written."""
    from builders.methods import get

    props = schemas.load("recipe")["properties"]
    for key, value in _section_defaults(props).items():
        data.setdefault(key, value)
    for section in ("sandbox", "dask", "dedup"):
        data[section] = {**_section_defaults(props[section]["properties"]), **(data.get(section) or {})}
    data["method"] = get(data["method"]["name"]).settings(data["method"])
