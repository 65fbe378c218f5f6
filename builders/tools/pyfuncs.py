"""Python functions and classes → tool definitions: JSON Schema from type hints, text from docstrings.

Used in-process for the built-in catalogue (our own code), and in a child interpreter for users'
files and modules (`introspect()` below), so that importing a user's file never runs inside the
builder's process and a file that doesn't import becomes a clear error.

Type hints understood: str, int, float, bool, None, Any, list[X], tuple[X, ...], tuple[A, B],
set[X], dict[str, X], Literal[...], Enum subclasses, X | None / Optional[X] (optional when the
default is None), TypedDict and dataclasses (nested objects), Annotated[X, "description"] and
Annotated[X, {json-schema keywords}].

Docstrings: Google (`Args:` / `Returns:`), NumPy (`Parameters` / `----------`) and reST
(`:param x:` / `:returns:`); the text before the first section is the tool's description.

A function or class may carry `__toolmint__` metadata, set by the `tool` decorator below:
version, name, description, per-parameter JSON Schema refinements, returns, examples.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import inspect
import json
import re
import subprocess
import sys
import tempfile
import types
import typing
from pathlib import Path

USER_MODULE = "toolmint_user_tools"  # the name sandbox/child.py gives a tool file, mirrored here
_ROOT = str(Path(__file__).resolve().parents[2])  # the child runs this same toolmint, installed or not
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from builders.tools.pyfuncs import _cli; _cli(sys.argv[2])"


class HintError(Exception):
    """A type hint that has no JSON Schema form."""


def tool(version: str = "1", *, name: str | None = None, description: str | None = None,
         params: dict | None = None, returns: dict | None = None, examples: list | tuple = ()):
    """Decorator that adds metadata to a tool function; the function itself is unchanged.

    `params` maps a parameter name to JSON Schema keywords merged over the derived schema
    (e.g. {"n": {"minimum": 1, "maximum": 100}}); `examples` are {"arguments": {...}, "result": ...}.
    """
    def wrap(fn):
        fn.__toolmint__ = {"version": str(version), "name": name, "description": description,
                           "params": params or {}, "returns": returns, "examples": list(examples)}
        return fn
    return wrap


# ----------------------------------------------------------------------------- type hints

_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def schema_for(hint, _depth: int = 0) -> dict:
    """The JSON Schema of a type hint (raises HintError for hints that have none)."""
    if _depth > 8:
        raise HintError("type nests too deeply (recursive type?)")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is typing.Any or hint is inspect.Parameter.empty:
        return {}
    if origin is typing.Annotated:
        schema = schema_for(args[0], _depth + 1)
        for meta in args[1:]:
            if isinstance(meta, str):
                schema["description"] = meta
            elif isinstance(meta, dict):
                schema.update(meta)
        return schema
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return {"anyOf": [schema_for(options[0], _depth + 1), {"type": "null"}]}
        return {"anyOf": [schema_for(a, _depth + 1) for a in args]}
    if origin is typing.Literal:
        values = list(args)
        kinds = {_SIMPLE.get(type(v)) for v in values}
        schema = {"enum": values}
        if len(kinds) == 1 and None not in kinds:
            schema = {"type": kinds.pop(), "enum": values}
        return schema
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = [m.value for m in hint]
        kinds = {_SIMPLE.get(type(v)) for v in values}
        return ({"type": kinds.pop()} if len(kinds) == 1 and None not in kinds else {}) | {"enum": values}
    if hint in (list, set, frozenset, tuple) or origin in (list, set, frozenset, collections.abc.Sequence,
                                                           collections.abc.Iterable, collections.abc.Set):
        schema = {"type": "array"}
        if args:
            schema["items"] = schema_for(args[0], _depth + 1)
        if (origin or hint) in (set, frozenset, collections.abc.Set):
            schema["uniqueItems"] = True
        return schema
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": schema_for(args[0], _depth + 1)}
        return {"type": "array", "prefixItems": [schema_for(a, _depth + 1) for a in args],
                "minItems": len(args), "maxItems": len(args)}
    if hint is dict or origin in (dict, collections.abc.Mapping):
        schema = {"type": "object"}
        if args:
            if args[0] is not str:
                raise HintError(f"dict keys must be str in JSON, not {args[0]!r}")
            schema["additionalProperties"] = schema_for(args[1], _depth + 1)
        return schema
    if typing.is_typeddict(hint):
        hints = typing.get_type_hints(hint, include_extras=True)
        docs = parse_docstring(hint.__doc__ or "")[1]
        props = {}
        for key, value in hints.items():
            props[key] = _described(schema_for(value, _depth + 1), docs.get(key))
        required = [k for k in hints if k in getattr(hint, "__required_keys__", hints)]
        return {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint, include_extras=True)
        docs = parse_docstring(hint.__doc__ or "")[1]
        props, required = {}, []
        for f in dataclasses.fields(hint):
            props[f.name] = _described(schema_for(hints[f.name], _depth + 1), docs.get(f.name))
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        return {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    raise HintError(f"type {getattr(hint, '__name__', hint)!r} has no JSON Schema form")


def _described(schema: dict, description: str | None) -> dict:
    if description and "description" not in schema:
        schema = dict(schema, description=description)
    return schema


def _strip_null(schema: dict) -> dict:
    """X | None with default None: an optional parameter of schema X (simpler for small models)."""
    options = schema.get("anyOf")
    if options and len(options) == 2 and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}][0]
        return {**rest, **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


# ----------------------------------------------------------------------------- docstrings

_GOOGLE = {"args": "params", "arguments": "params", "parameters": "params", "params": "params",
           "keyword args": "params", "keyword arguments": "params", "attributes": "params",
           "returns": "returns", "return": "returns", "yields": "returns",
           "raises": "other", "examples": "other", "example": "other", "notes": "other", "note": "other",
           "see also": "other", "references": "other", "warnings": "other", "todo": "other"}


def parse_docstring(doc: str) -> tuple[str, dict[str, str], str]:
    """(description, {parameter: description}, returns description) from a Google, NumPy or reST docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    returns: list[str] = []
    section, current, numpy_style = "summary", None, False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        low = stripped.rstrip(":").lower()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        # NumPy section header: a name underlined with dashes
        if nxt and set(nxt) == {"-"} and low in _GOOGLE:
            section, current, numpy_style = _GOOGLE[low], None, True
            i += 2
            continue
        # Google section header: "Args:" at the left margin
        if stripped.endswith(":") and low in _GOOGLE and not line.startswith((" ", "\t")):
            section, current, numpy_style = _GOOGLE[low], None, False
            i += 1
            continue
        # reST fields
        m = re.match(r"^:(param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?(\*{0,2}\w+):\s*(.*)$", stripped)
        if m:
            section, current = "params", m.group(2).lstrip("*")
            params[current] = m.group(3).strip()
            i += 1
            continue
        m = re.match(r"^:(returns?|rtype|raises?\s*\w*|type\s+\w+)\s*:\s*(.*)$", stripped)
        if m:
            section, current = ("returns" if m.group(1).startswith("return") else "other"), None
            if section == "returns":
                returns.append(m.group(2).strip())
            i += 1
            continue
        if section == "summary":
            summary.append(stripped)
        elif section == "params":
            indent = len(line) - len(line.lstrip())
            google = re.match(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$", stripped)
            numpy = re.match(r"^\*{0,2}(\w+)\s*(?::\s*(.*))?$", stripped)
            base = indent <= _param_indent(lines, i)
            if stripped and numpy_style and base and numpy:
                current = numpy.group(1)
                params[current] = ""
            elif stripped and google and base and not numpy_style:
                current = google.group(1)
                params[current] = google.group(3).strip()
            elif stripped and current:
                params[current] = (params[current] + " " + stripped).strip()
        elif section == "returns" and stripped:
            if numpy_style and len(line) - len(line.lstrip()) <= _param_indent(lines, i):
                pass  # the NumPy return type line
            elif not returns and not numpy_style:
                returns.append(re.sub(r"^[\w\[\], .|]+:\s+", "", stripped))
            else:
                returns.append(stripped)
        i += 1
    text = " ".join(s for s in summary).strip()
    text = re.sub(r"\s+", " ", text)
    return text, {k: re.sub(r"\s+", " ", v).strip() for k, v in params.items()}, " ".join(returns).strip()


def _param_indent(lines: list[str], i: int) -> int:
    """The indentation of the first entry of the parameter section that line i is in."""
    j = i
    while j > 0:
        prev = lines[j - 1].strip()
        if prev.rstrip(":").lower() in _GOOGLE or (prev and set(prev) == {"-"}):
            break
        j -= 1
    for line in lines[j:i + 1]:
        if line.strip():
            return len(line) - len(line.lstrip())
    return 0


# ----------------------------------------------------------------------------- callables

class DefinitionError(Exception):
    """A function or method that cannot become a tool; `problems` names each thing wrong, one line
    each (str() joins them)."""

    def __init__(self, *problems: str):
        self.problems = [p for p in problems if p]
        super().__init__("; ".join(self.problems))


def describe_callable(fn, *, skip_first: bool = False) -> dict:
    """{name, description, parameters, returns?, version, examples} for one function or method."""
    meta = getattr(fn, "__toolmint__", None) or {}
    name = meta.get("name") or fn.__name__
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # noqa: BLE001 - a hint naming something undefined
        raise DefinitionError(f"its type hints do not resolve: {type(exc).__name__}: {exc}") from None
    signature = inspect.signature(fn)
    description, docs, returns_doc = parse_docstring(fn.__doc__ or "")
    description = meta.get("description") or description
    problems = [] if description else ["has no docstring (the model needs a description of what it does)"]
    properties, required, unhinted = {}, [], []
    for i, (pname, param) in enumerate(signature.parameters.items()):
        if skip_first and i == 0:
            continue
        if param.kind is param.VAR_POSITIONAL:
            problems.append(f"takes *{pname}; tools are called with named arguments only")
            continue
        if param.kind is param.VAR_KEYWORD:
            continue
        if param.kind is param.POSITIONAL_ONLY:
            problems.append(f"parameter {pname!r} is positional-only; tools are called with named arguments")
            continue
        if pname not in hints:
            unhinted.append(pname)
            continue
        try:
            schema = schema_for(hints[pname])
        except HintError as exc:
            problems.append(f"parameter {pname!r}: {exc}")
            continue
        if param.default is param.empty:
            required.append(pname)
        else:
            if param.default is None:
                schema = _strip_null(schema)
            elif _jsonable(param.default):
                schema["default"] = param.default.value if isinstance(param.default, enum.Enum) else param.default
        schema = _described(schema, docs.get(pname))
        schema.update(meta.get("params", {}).get(pname, {}))
        properties[pname] = _ordered(schema)
    if unhinted:
        problems.append(f"parameter(s) {', '.join(map(repr, unhinted))} have no type hint")
    unknown = set(meta.get("params", {})) - set(signature.parameters)
    if unknown:
        problems.append(f"metadata refines unknown parameter(s) {sorted(unknown)}")
    if problems:  # every problem at once: fixing one should not reveal the next
        raise DefinitionError(*problems)
    out = {"name": name, "description": description,
           "parameters": {"type": "object", "properties": properties, "required": required,
                          "additionalProperties": False},
           "version": meta.get("version", "1"), "examples": meta.get("examples", [])}
    returns = meta.get("returns")
    if returns is None and "return" in hints and hints["return"] is not type(None):
        try:
            returns = schema_for(hints["return"])
        except HintError:
            returns = {}
    if returns is not None or returns_doc:
        returns = dict(returns or {})
        if returns_doc and "description" not in returns:
            returns["description"] = returns_doc
        out["returns"] = returns
    return out


def _ordered(schema: dict) -> dict:
    """type first, description last: easier to read in prompts."""
    keys = sorted(schema, key=lambda k: (k != "type", k == "description"))
    return {k: schema[k] for k in keys}


def _jsonable(value) -> bool:
    try:
        json.dumps(value.value if isinstance(value, enum.Enum) else value, allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False


def _is_environment(cls) -> bool:
    if cls.__name__.startswith("_") or typing.is_typeddict(cls) or issubclass(cls, (enum.Enum, BaseException)):
        return False
    if issubclass(cls, tuple):  # NamedTuple
        return False
    return any(inspect.isfunction(v) and not k.startswith("_") for k, v in vars(cls).items())


def describe_module(module, where: dict, origin: str) -> tuple[list[dict], list[str], dict]:
    """Tools defined in a module: its public functions and the public methods of its classes.

    `where` is the target's location ({"module": …} or {"file": …}). Returns (tools, problems,
    callables): problems are {"names": [identifiers an `include` list may use], "message": line};
    callables maps each public function to {params, required, var_kw} (used to
    bind OpenAI-style definitions to their implementation).
    """
    tools, problems, callables = [], [], {}
    for attr, obj in vars(module).items():
        if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            callables[attr] = {
                "params": [p for p, v in sig.parameters.items() if v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)],
                "required": [p for p, v in sig.parameters.items()
                             if v.default is v.empty and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)],
                "var_kw": any(v.kind is v.VAR_KEYWORD for v in sig.parameters.values())}
            try:
                spec = describe_callable(obj)
            except DefinitionError as exc:
                problems += [{"names": [attr], "message": f"{origin}: function {attr}: {p}"} for p in exc.problems]
                spec = None
            if spec:
                spec["target"] = {"kind": "python", **where, "function": attr}
                tools.append(spec)
        elif inspect.isclass(obj) and _is_environment(obj):
            try:
                init = inspect.signature(obj)
            except (TypeError, ValueError):
                init = None
            needs = [p for p, v in (init.parameters.items() if init else [])
                     if v.default is v.empty and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)]
            if needs:
                problems.append({"names": [attr] + [m for m in vars(obj) if not m.startswith("_")],
                                 "message": f"{origin}: class {attr}: a stateful environment must be constructible "
                                            f"without arguments, but __init__ needs {needs}"})
                continue
            for mname, method in vars(obj).items():
                if mname.startswith("_") or not inspect.isfunction(method):
                    continue
                try:
                    spec = describe_callable(method, skip_first=True)
                except DefinitionError as exc:
                    problems += [{"names": [attr, mname, f"{attr}.{mname}"],
                                  "message": f"{origin}: method {attr}.{mname}: {p}"} for p in exc.problems]
                    continue
                spec["target"] = {"kind": "python", **where, "class": attr, "method": mname, "init": {}}
                tools.append(spec)
    return tools, problems, callables


# ----------------------------------------------------------------------------- users' code

def locate(ref: str, base_dir: str | Path | None = None) -> dict:
    """A recipe's FILE_OR_MODULE → {"file": absolute path} or {"module": dotted name}."""
    base = Path(base_dir or ".")
    if ref.endswith(".py") or "/" in ref or "\\" in ref:
        path = Path(ref).expanduser()
        return {"file": str((path if path.is_absolute() else base / path).resolve())}
    candidate = base / (ref.replace(".", "/") + ".py")
    if re.fullmatch(r"[A-Za-z_][\w.]*", ref) and candidate.is_file():
        return {"file": str(candidate.resolve())}
    return {"module": ref}


def introspect(where: dict, timeout: float = 60.0) -> dict:
    """Describe a user's file or module in a child interpreter: {tools, problems, callables}.

    The child runs like the sandbox's (isolated mode, empty working folder, a tool file's own
    folder first on sys.path), so a module that imports here also imports when the sandbox calls it.
    """
    origin = where.get("file") or where.get("module")
    if "file" in where and not Path(where["file"]).is_file():
        return {"tools": [], "problems": [{"names": [], "message": f"{origin}: no such file"}], "callables": {}}
    with tempfile.TemporaryDirectory(prefix="toolmint-introspect-") as scratch:
        try:
            proc = subprocess.run([sys.executable, "-I", "-c", _BOOT, _ROOT, json.dumps(where)],
                                  capture_output=True, text=True, timeout=timeout, cwd=scratch,
                                  env={"PATH": "/usr/bin:/bin", "HOME": scratch})
        except subprocess.TimeoutExpired:
            return {"tools": [], "callables": {},
                    "problems": [{"names": [], "message": f"{origin}: importing it took longer than {timeout:.0f}s"}]}
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"tools": [], "problems": [{"names": [], "message": f"{origin}: does not import ({tail})"}],
                "callables": {}}


def _import(where: dict):
    import importlib
    import importlib.util
    if "module" in where:
        return importlib.import_module(where["module"])
    sys.path.insert(0, str(Path(where["file"]).parent))  # `from helpers import …` beside it, as in the sandbox
    spec = importlib.util.spec_from_file_location(USER_MODULE, where["file"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[USER_MODULE] = module
    spec.loader.exec_module(module)
    return module


def _main(where: dict) -> dict:
    origin = where.get("file") or where.get("module")
    import contextlib
    import io
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module = _import(where)
    except SyntaxError as exc:
        return {"tools": [], "callables": {}, "problems": [
            {"names": [], "message": f"{origin}: does not import: SyntaxError at line {exc.lineno}: {exc.msg}"}]}
    except BaseException as exc:  # noqa: BLE001 - the user's import failure is the message
        line = ""
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == where.get("file"):
                line = f" at line {tb.tb_lineno}"
            tb = tb.tb_next
        return {"tools": [], "callables": {}, "problems": [
            {"names": [], "message": f"{origin}: does not import{line}: {type(exc).__name__}: {exc}"}]}
    tools, problems, callables = describe_module(module, where, origin)
    return {"tools": tools, "problems": problems, "callables": callables}


def _cli(where: str) -> None:
    print(json.dumps(_main(json.loads(where)), default=repr))


if __name__ == "__main__":
    _cli(sys.argv[1])
