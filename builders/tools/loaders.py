"""Loaders for users' tools: a Python file or module, OpenAI-style definitions, an OpenAPI 3 document.

Each loader returns (tools, problems): the tools it could make, and one line per problem naming
the file and the tool. `catalogue.load_toolset` decides whether problems fail the recipe or only
skip the tools concerned (`on_tool_error`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from builders.tools.pyfuncs import introspect, locate
from builders.tools.spec import Tool, check_definition

Problems = list[str]


# ----------------------------------------------------------------------------- Python

def load_python(ref: str, base_dir: str | Path, include: list[str] | None = None) -> tuple[list[Tool], Problems]:
    """The public typed, documented functions of a file or module, and the public methods of its
    classes (stateful environments: one instance per episode)."""
    where = locate(ref, base_dir)
    report = introspect(where)
    tools, problems = [], []
    wanted = set(include) if include is not None else None
    matched: set[str] = set()
    for spec in report["tools"]:
        target = spec["target"]
        names = {spec["name"]} | ({target["class"], f"{target['class']}.{target['method']}"} if "class" in target else set())
        if wanted is not None:
            hit = names & wanted
            if not hit:
                continue
            matched |= hit
        bad = check_definition(spec["name"], spec["description"], spec["parameters"])
        if bad:
            problems += [f"{ref}: {spec['name']}: {b}" for b in bad]
            continue
        tools.append(_tool(spec, source=ref))
    for problem in report["problems"]:
        if wanted is None or not problem["names"] or set(problem["names"]) & wanted:
            problems.append(problem["message"])
            matched |= set(problem["names"]) & (wanted or set())
    if wanted is not None:
        missing = sorted(wanted - matched)
        if missing and report["tools"] + report["problems"]:
            problems.append(f"{ref}: include names {missing}, which it does not define as tools")
    if not tools and not problems:
        problems.append(f"{ref}: defines no public functions or classes to use as tools")
    return tools, problems


def _tool(spec: dict, source: str) -> Tool:
    return Tool(name=spec["name"], description=spec["description"], parameters=spec["parameters"],
                target=spec["target"], version=str(spec.get("version", "1")), returns=spec.get("returns"),
                examples=tuple(spec.get("examples") or ()), source=source)


# ----------------------------------------------------------------------------- files

def _read_document(path: Path, ref: str) -> tuple[object, Problems]:
    if not path.is_file():
        return None, [f"{ref}: no such file"]
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text), []
        return yaml.safe_load(text), []
    except json.JSONDecodeError as exc:
        return None, [f"{ref}: not valid JSON at line {exc.lineno}: {exc.msg}"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        return None, [f"{ref}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]


def _resolve(path: str, base_dir: str | Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(base_dir) / p


# ----------------------------------------------------------------------------- OpenAI

def load_openai(ref: str, implementation: str | None, base_dir: str | Path) -> tuple[list[Tool], Problems]:
    """OpenAI-style function definitions (JSON or YAML) bound to same-named Python functions.

    Accepted shapes: a list of definitions, or {"tools": [...]} / {"functions": [...]}, or a single
    definition; each either {"type": "function", "function": {name, description, parameters}} or
    the bare {name, description, parameters}. An optional "version" is kept.
    """
    data, problems = _read_document(_resolve(ref, base_dir), ref)
    if problems:
        return [], problems
    if isinstance(data, dict) and ("tools" in data or "functions" in data):
        data = data.get("tools", data.get("functions"))
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        return [], [f"{ref}: expected a list of function definitions"]
    if not implementation:
        return [], [f"{ref}: OpenAI-style definitions need `implementation:` (a .py file or module holding the functions)"]
    where = locate(implementation, base_dir)
    report = introspect(where)
    import_problems = [p["message"] for p in report["problems"] if not p["names"]]
    if import_problems:
        return [], import_problems
    callables = report["callables"]
    tools = []
    for i, item in enumerate(data):
        definition = item.get("function") if isinstance(item, dict) and item.get("type") == "function" else item
        if not isinstance(definition, dict):
            problems.append(f"{ref}: definition [{i}] is not an object")
            continue
        name = definition.get("name")
        label = f"{ref}: {name or f'definition [{i}]'}"
        parameters = definition.get("parameters", {"type": "object", "properties": {}})
        bad = check_definition(name, definition.get("description"), parameters)
        if bad:
            problems += [f"{label}: {b}" for b in bad]
            continue
        fn = callables.get(name)
        if fn is None:
            problems.append(f"{label}: {implementation} has no public function named {name!r}")
            continue
        props = set((parameters.get("properties") or {}))
        extra = sorted(props - set(fn["params"])) if not fn["var_kw"] else []
        missing = sorted(set(fn["required"]) - props)
        if extra:
            problems.append(f"{label}: the function {name}() takes no parameter(s) {extra}")
            continue
        if missing:
            problems.append(f"{label}: the function {name}() needs parameter(s) {missing} that the definition lacks")
            continue
        tools.append(Tool(name=name, description=definition["description"].strip(), parameters=parameters,
                          target={"kind": "python", **where, "function": name},
                          version=str(definition.get("version", "1")), returns=definition.get("returns"),
                          examples=tuple(definition.get("examples", ())), source=ref))
    return tools, problems


# ----------------------------------------------------------------------------- OpenAPI

_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def load_openapi(ref: str, base_url: str | None, base_dir: str | Path,
                 include: list[str] | None = None) -> tuple[list[Tool], Problems]:
    """The operations of an OpenAPI 3 document as tools that call the service at base_url.

    Path, query and header parameters become arguments; a JSON request body's properties become
    arguments too (or one `body` argument when the body is not an object). Local $refs are inlined;
    OpenAPI 3.0 `nullable` and boolean `exclusiveMinimum/Maximum` are rewritten as JSON Schema 2020-12.
    """
    doc, problems = _read_document(_resolve(ref, base_dir), ref)
    if problems:
        return [], problems
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3."):
        return [], [f"{ref}: not an OpenAPI 3 document (no `openapi: 3.x` field)"]
    if not base_url:
        servers = doc.get("servers") or []
        base_url = servers[0].get("url") if servers and isinstance(servers[0], dict) else None
        if not base_url or not re.match(r"^https?://", base_url):
            return [], [f"{ref}: give `base_url` (the document names no absolute server URL)"]
    version = str((doc.get("info") or {}).get("version", "1"))
    tools, seen = [], set()
    wanted = set(include) if include is not None else None
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            name = op.get("operationId") or re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {path}").strip("_")
            seen.add(name)
            if wanted is not None and name not in wanted:
                continue
            try:
                tools.append(_operation(doc, ref, base_url, version, path, method, op, shared, name))
            except _OpenAPIProblem as exc:
                problems.append(f"{ref}: {name}: {exc}")
    if wanted is not None and wanted - seen:
        problems.append(f"{ref}: include names operations it does not have: {sorted(wanted - seen)}")
    return tools, problems


class _OpenAPIProblem(Exception):
    pass


def _operation(doc, ref, base_url, version, path, method, op, shared, name) -> Tool:
    properties, required, where = {}, [], {}
    params = {}
    for p in list(shared) + list(op.get("parameters", [])):  # operation-level parameters override path-level
        p = _deref(doc, p)
        params[(p.get("name"), p.get("in"))] = p
    for (pname, place), p in params.items():
        if place not in ("path", "query", "header"):
            raise _OpenAPIProblem(f"parameter {pname!r} is in {place!r}; only path, query and header are supported")
        schema = _to_2020(_deref(doc, p.get("schema", {"type": "string"})))
        if p.get("description") and "description" not in schema:
            schema["description"] = p["description"]
        if pname in properties:
            raise _OpenAPIProblem(f"parameter {pname!r} appears twice")
        properties[pname] = schema
        where[pname] = place
        if p.get("required") or place == "path":
            required.append(pname)
    body = _deref(doc, op.get("requestBody") or {})
    if body:
        content = body.get("content") or {}
        media = next((m for m in content if m.split(";")[0].strip() in ("application/json",) or m.endswith("+json")), None)
        if media is None:
            raise _OpenAPIProblem(f"request body types {sorted(content)} are not supported (application/json only)")
        schema = _to_2020(_deref(doc, content[media].get("schema", {})))
        if schema.get("type") == "object" and isinstance(schema.get("properties"), dict):
            for prop, sub in schema["properties"].items():
                if prop in properties:
                    raise _OpenAPIProblem(f"body property {prop!r} has the same name as a parameter")
                properties[prop] = sub
                where[prop] = "body"
            if body.get("required", False):
                required += [r for r in schema.get("required", []) if r in schema["properties"]]
        else:
            properties["body"] = schema
            where["body"] = "body_raw"
            if body.get("required", False):
                required.append("body")
    parameters = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    description = " ".join(x.strip() for x in (op.get("summary"), op.get("description")) if x) or f"{method.upper()} {path}"
    bad = check_definition(name, description, parameters)
    if bad:
        raise _OpenAPIProblem("; ".join(bad))
    returns = None
    for code in ("200", "201", "202", 200, 201, 202):
        resp = (op.get("responses") or {}).get(code)
        if resp:
            resp = _deref(doc, resp)
            media = (resp.get("content") or {}).get("application/json")
            if media and media.get("schema"):
                returns = _to_2020(_deref(doc, media["schema"]))
            break
    target = {"kind": "http", "base_url": base_url, "method": method.upper(), "path": path, "params": where}
    return Tool(name=name, description=description, parameters=parameters, target=target, version=version,
                returns=returns, source=ref)


def _deref(doc: dict, node, depth: int = 0):
    """Inline local $refs (#/components/...) recursively; external or cyclic refs are a problem."""
    if depth > 20:
        raise _OpenAPIProblem("$ref nesting deeper than 20 (a recursive schema?)")
    if isinstance(node, list):
        return [_deref(doc, n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise _OpenAPIProblem(f"$ref {ref!r}: only references inside the document (#/...) are supported")
        target = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise _OpenAPIProblem(f"$ref {ref!r} points nowhere")
            target = target[part]
        return _deref(doc, target, depth + 1)
    return {k: _deref(doc, v, depth + 1) for k, v in node.items()}


def _to_2020(schema):
    """OpenAPI 3.0 schema idioms → JSON Schema 2020-12 (3.1 documents pass through unchanged)."""
    if isinstance(schema, list):
        return [_to_2020(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("properties", "patternProperties", "$defs", "definitions") and isinstance(v, dict):
            out[k] = {name: _to_2020(sub) for name, sub in v.items()}  # keys are names, not keywords
        elif k not in ("nullable", "example", "xml", "externalDocs", "discriminator"):
            out[k] = _to_2020(v)
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(bound) is True and limit in out:
            out[bound] = out.pop(limit)
        elif out.get(bound) is False:
            out.pop(bound)
    if "example" in schema and "examples" not in out:
        out["examples"] = [schema["example"]]
    return out
