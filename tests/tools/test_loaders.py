"""Loaders for users' tools: Python files/modules (with stateful environments), OpenAI-style
definitions, OpenAPI 3 documents against a real HTTP server; bad input and on_tool_error."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path
from typing import Annotated, Literal, Optional, TypedDict

import pytest

from builders.errors import UserError
from builders.tools import resolve_tools
from builders.tools.catalogue import load_toolset
from builders.tools.environment import Episode, checked_call
from builders.tools.pyfuncs import describe_callable, parse_docstring, schema_for
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "recipes" / "tools"


@pytest.fixture(scope="module")
def box():
    with Sandbox() as sandbox:
        yield sandbox


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


# ----------------------------------------------------------------- schema derivation

class Address(TypedDict, total=False):
    city: str
    zip: str


def test_schema_from_type_hints():
    def f(a: int, b: list[float], c: dict[str, int], d: Literal["x", "y"] = "x", e: Optional[str] = None,
          f: Annotated[int, "count", {"minimum": 1}] = 1, g: tuple[int, str] = (1, "a"), h: Address | None = None,
          **kwargs) -> bool:
        """Do f."""

    spec = describe_callable(f)
    props = spec["parameters"]["properties"]
    assert spec["parameters"]["required"] == ["a", "b", "c"]
    assert props["a"] == {"type": "integer"}
    assert props["b"] == {"type": "array", "items": {"type": "number"}}
    assert props["c"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["d"] == {"type": "string", "enum": ["x", "y"], "default": "x"}
    assert props["e"] == {"type": "string"}
    assert props["f"] == {"type": "integer", "default": 1, "minimum": 1, "description": "count"}
    assert props["g"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert props["h"]["properties"]["city"] == {"type": "string"} and props["h"]["required"] == []
    assert spec["returns"] == {"type": "boolean"}


@pytest.mark.parametrize("doc", [
    """Book a table.

    Args:
        name (str): who books
        size: how many
            people
    Returns:
        the booking
    """,
    """Book a table.

    Parameters
    ----------
    name : str
        who books
    size : int
        how many
        people

    Returns
    -------
    dict
        the booking
    """,
    """Book a table.

    :param name: who books
    :param int size: how many
        people
    :returns: the booking
    """,
])
def test_docstring_styles(doc):
    assert parse_docstring(doc) == ("Book a table.", {"name": "who books", "size": "how many people"}, "the booking")


def test_unsupported_hint():
    with pytest.raises(Exception, match="no JSON Schema form"):
        schema_for(complex)


# ----------------------------------------------------------------- Python loader

def test_python_example_file(box):
    tools = {t.name: t for t in resolve_tools([{"python": "tools/workshop.py"}], source="recipes/x.yaml",
                                              base_dir=ROOT / "recipes")}
    assert set(tools) == {"scale_recipe", "shipping_cost", "word_count",
                          "write_file", "read_file", "list_files", "delete_file"}
    ship = tools["shipping_cost"]
    assert ship.parameters["properties"]["zone"]["enum"] == ["domestic", "europe", "world"]
    assert ship.parameters["properties"]["weight_kg"]["description"].startswith("The parcel's weight")
    assert tools["word_count"].parameters["properties"]["unique"] == {
        "type": "boolean", "default": False, "description": "count each distinct word (case-insensitive) once"}
    assert tools["scale_recipe"].parameters["properties"]["ingredients"]["items"]["required"] == ["name", "grams"]
    assert tools["read_file"].environment == "FileSystem"
    assert tools["read_file"].target["file"] == str(EXAMPLES / "workshop.py")
    result = checked_call(tools["shipping_cost"], {"weight_kg": 2, "zone": "europe", "express": True}, box)
    assert result["status"] == "ok" and result["value"] == {"price_eur": 24.0, "days": 1}
    result = checked_call(tools["scale_recipe"], {"ingredients": [{"name": "flour", "grams": 500}],
                                                  "servings": 4, "new_servings": 2}, box)
    assert result["value"] == [{"name": "flour", "grams": 250.0}]


def test_python_include_and_module(tmp_path, box):
    tools = resolve_tools([{"python": "workshop.py", "include": ["word_count", "FileSystem"]}], base_dir=EXAMPLES)
    assert [t.name for t in tools] == ["word_count", "write_file", "read_file", "list_files", "delete_file"]
    # an importable module (here one of toolmint's own) works as a module target
    mod = resolve_tools([{"python": "builders.tools.builtin.units", "include": ["int_to_roman"]}], base_dir=tmp_path)[0]
    assert mod.target == {"kind": "python", "module": "builders.tools.builtin.units", "function": "int_to_roman"}
    assert checked_call(mod, {"number": 9}, box)["value"]["roman"] == "IX"
    # a dotted name found next to the recipe becomes a file target
    write(tmp_path, "helpers.py", '''
        def double(x: int) -> int:
            """Double a number."""
            return 2 * x
    ''')
    (tool,) = resolve_tools([{"python": "helpers"}], base_dir=tmp_path)
    assert tool.target["file"] == str(tmp_path / "helpers.py")
    with pytest.raises(UserError, match="include names \\['nope'\\]"):
        resolve_tools([{"python": "helpers", "include": ["nope"]}], base_dir=tmp_path)


def test_python_bad_input(tmp_path):
    write(tmp_path, "broken.py", "import not_a_module_anywhere\n")
    write(tmp_path, "syntax.py", "def f(:\n")
    write(tmp_path, "untyped.py", '''
        def ok(x: int) -> int:
            """Fine."""
            return x

        def no_hints(x, y: int):
            """Has no hint for x."""

        def no_doc(x: int):
            return x

        def stars(*args: int):
            """Takes *args."""

        class NeedsArgs:
            def __init__(self, size: int):
                self.size = size

            def grow(self, by: int) -> int:
                """Grow."""
                return self.size + by
    ''')
    with pytest.raises(UserError) as err:
        resolve_tools([{"python": "broken.py"}, {"python": "syntax.py"}, {"python": "untyped.py"}],
                      source="r.yaml", base_dir=tmp_path)
    text = "\n".join(err.value.problems)
    assert f"r.yaml: tools[0]: {tmp_path}/broken.py: does not import at line 1: ModuleNotFoundError" in text
    assert "r.yaml: tools[1]:" in text and "SyntaxError at line 1" in text
    assert "function no_hints: parameter(s) 'x' have no type hint" in text
    assert "function no_doc: has no docstring" in text
    assert "function stars: takes *args" in text
    assert "class NeedsArgs: a stateful environment must be constructible without arguments" in text
    assert "function ok" not in text
    with pytest.raises(UserError, match="no such file"):
        resolve_tools([{"python": "missing.py"}], base_dir=tmp_path)
    with pytest.raises(UserError, match="does not import"):
        resolve_tools([{"python": "no.such.module_here"}], base_dir=tmp_path)


def test_on_tool_error_skip(tmp_path):
    write(tmp_path, "mixed.py", '''
        def good(x: int) -> int:
            """Good."""
            return x

        def bad(x):
            """No hint."""
    ''')
    toolset = load_toolset(["calculator", {"python": "mixed.py"}, {"python": "gone.py"}], "r.yaml",
                           base_dir=tmp_path, on_error="skip")
    assert [t.name for t in toolset.tools] == ["calculator", "good"]
    assert len(toolset.problems) == 2 and "bad" in toolset.problems[0] and "gone.py" in toolset.problems[1]
    with pytest.raises(UserError):
        load_toolset([{"python": "mixed.py"}], "r.yaml", base_dir=tmp_path, on_error="fail")
    with pytest.raises(UserError, match="no usable tools"):
        load_toolset([{"python": "gone.py"}], "r.yaml", base_dir=tmp_path, on_error="skip")


def test_duplicate_names(tmp_path):
    write(tmp_path, "dup.py", '''
        def calculator(expression: str) -> str:
            """A second calculator."""
            return expression
    ''')
    with pytest.raises(UserError) as err:
        resolve_tools(["calculator", {"python": "dup.py"}, "convert_units", "convert_units"], source="r.yaml",
                      base_dir=tmp_path)
    assert err.value.problems == [
        "r.yaml: tools: two tools are named 'calculator': from builtin and from dup.py (rename one, or use include: to pick)",
        "r.yaml: tools: 'convert_units' is listed twice"]
    skipped = load_toolset(["calculator", {"python": "dup.py"}], "r.yaml", base_dir=tmp_path, on_error="skip")
    assert [t.source for t in skipped.tools] == ["builtin"]


def test_unknown_builtin():
    with pytest.raises(UserError, match=r"r.yaml: tools\[0\]: unknown tool 'abacus'"):
        resolve_tools(["abacus"], source="r.yaml")


# ----------------------------------------------------------------- stateful environments

def test_state_kept_within_and_isolated_between_episodes(box):
    tools = {t.name: t for t in resolve_tools([{"python": "workshop.py", "include": ["FileSystem"]}], base_dir=EXAMPLES)}
    first = Episode(box)
    assert first.call(tools["write_file"], {"path": "/notes/a.txt", "text": "hello"})["value"] == {"path": "/notes/a.txt", "size": 5}
    first.call(tools["write_file"], {"path": "notes/a.txt", "text": " world", "append": True})
    first.call(tools["write_file"], {"path": "/b.txt", "text": "b"})
    assert first.call(tools["read_file"], {"path": "/notes/a.txt"})["value"] == "hello world"
    home = ["/docs/readme.txt", "/notes/shopping.txt", "/notes/todo.txt"]  # what it starts with
    assert first.call(tools["list_files"], {})["value"] == sorted(["/b.txt", "/notes/a.txt", *home])
    # a failing call reports the error and leaves the state as it was
    failed = first.call(tools["delete_file"], {"path": "/nope"})
    assert failed["status"] == "error" and failed["exc_type"] == "FileNotFoundError"
    assert first.call(tools["list_files"], {"folder": "/notes"})["value"] == ["/notes/a.txt", *home[1:]]
    assert "state" not in failed and set(first.states) and all(isinstance(b, str) for b in first.states.values())

    second = Episode(box)  # a new episode starts from a fresh instance
    assert second.call(tools["list_files"], {})["value"] == home
    assert second.call(tools["read_file"], {"path": "/notes/a.txt"})["status"] == "error"
    second.call(tools["write_file"], {"path": "/c.txt", "text": "c"})
    assert first.call(tools["list_files"], {})["value"] == sorted(["/b.txt", "/notes/a.txt", *home])  # untouched
    first.reset()
    assert first.call(tools["list_files"], {})["value"] == home


def test_stateless_tools_ignore_episode(box):
    tool = resolve_tools(["calculator"])[0]
    episode = Episode(box)
    assert episode.call(tool, {"expression": "1+1"})["value"] == 2 and episode.states == {}


# ----------------------------------------------------------------- OpenAI-style definitions

def test_openai_example(box):
    tools = {t.name: t for t in resolve_tools(
        [{"openai": "library_tools.json", "implementation": "library_impl.py"}], base_dir=EXAMPLES)}
    assert set(tools) == {"find_book", "late_fee"}
    fee = tools["late_fee"]
    assert fee.parameters["properties"]["item_kind"]["enum"] == ["book", "new_release", "dvd"]
    assert fee.target == {"kind": "python", "file": str(EXAMPLES / "library_impl.py"), "function": "late_fee"}
    result = checked_call(fee, {"due_date": "2024-03-01", "returned_on": "2024-03-11", "item_kind": "new_release"}, box)
    assert result["value"] == {"days_late": 10, "fee_eur": 5.0}
    found = checked_call(tools["find_book"], {"query": "le guin", "available_only": True}, box)
    assert [b["id"] for b in found["value"]["books"]] == [3]
    assert checked_call(fee, {"due_date": "1 March"}, box)["status"] == "invalid_arguments"


def test_openai_yaml_shapes_and_problems(tmp_path, box):
    write(tmp_path, "impl.py", '''
        def greet(name, polite=False):
            return ("Good day, " if polite else "Hi ") + name

        def needs_two(a, b):
            return a + b
    ''')
    write(tmp_path, "defs.yaml", '''
        functions:
          - name: greet
            description: Greet someone.
            version: "3"
            parameters:
              type: object
              properties:
                name: {type: string}
                polite: {type: boolean}
              required: [name]
          - name: needs_two
            description: Add.
            parameters: {type: object, properties: {a: {type: integer}}}
          - name: missing_fn
            description: Nothing implements me.
            parameters: {type: object, properties: {}}
          - name: bad_schema
            description: Broken schema.
            parameters: {type: object, properties: {x: {type: integer, minimum: "zero"}}}
          - name: "has spaces"
            description: Bad name.
          - name: greet_extra
            description: Extra parameter.
            parameters: {type: object, properties: {name: {type: string}, shout: {type: boolean}}}
    ''')
    write(tmp_path, "greet_extra.py", "")
    toolset = load_toolset([{"openai": "defs.yaml", "implementation": "impl.py"}], "r.yaml", base_dir=tmp_path,
                           on_error="skip")
    assert [t.name for t in toolset.tools] == ["greet"] and toolset.tools[0].version == "3"
    text = "\n".join(toolset.problems)
    assert "defs.yaml: needs_two: the function needs_two() needs parameter(s) ['b']" in text
    assert "defs.yaml: missing_fn: impl.py has no public function named 'missing_fn'" in text
    assert "defs.yaml: bad_schema: parameters are not a valid JSON Schema at properties/x/minimum" in text
    assert "defs.yaml: has spaces: name 'has spaces' must be" in text
    assert "defs.yaml: greet_extra: impl.py has no public function" in text
    assert checked_call(toolset.tools[0], {"name": "Ada", "polite": True}, box)["value"] == "Good day, Ada"
    write(tmp_path, "bad.json", "[{\"name\": ")
    with pytest.raises(UserError, match="bad.json: not valid JSON at line 1"):
        resolve_tools([{"openai": "bad.json", "implementation": "impl.py"}], base_dir=tmp_path)
    with pytest.raises(UserError, match="need `implementation:`"):
        resolve_tools([{"openai": "defs.yaml"}], base_dir=tmp_path)


# ----------------------------------------------------------------- OpenAPI

@pytest.fixture(scope="module")
def inventory():
    spec = importlib.util.spec_from_file_location("inventory_server", EXAMPLES / "inventory_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.serve(port=0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_openapi_against_a_real_server(inventory, box):
    tools = {t.name: t for t in resolve_tools(
        [{"openapi": "inventory_openapi.yaml", "base_url": inventory}], base_dir=EXAMPLES)}
    assert set(tools) == {"list_items", "get_item", "reserve_item", "quote_items"}
    listing = tools["list_items"]
    assert listing.parameters["properties"]["max_price"] == {
        "type": "number", "exclusiveMinimum": 0, "description": "highest price in euros"}
    assert listing.returns["items"]["properties"]["price"] == {"type": "number"}
    assert tools["get_item"].parameters["required"] == ["item_id"]
    assert tools["reserve_item"].parameters["properties"]["note"]["type"] == ["string", "null"]
    assert tools["quote_items"].target["params"] == {"body": "body_raw"}

    episode = Episode(box)
    cheap = checked_call(listing, {"category": "kitchen", "max_price": 30}, episode=episode)
    assert cheap["status"] == "ok" and [i["name"] for i in cheap["value"]] == ["cast-iron pan"]
    assert checked_call(tools["get_item"], {"item_id": 3}, episode=episode)["value"]["stock"] == 3
    missing = checked_call(tools["get_item"], {"item_id": 99}, episode=episode)
    assert missing["status"] == "error" and missing["http_status"] == 404
    ok = checked_call(tools["reserve_item"], {"item_id": 3, "quantity": 2, "customer": "Ana"}, episode=episode)
    assert ok["value"]["stock_left"] == 1
    refused = checked_call(tools["reserve_item"], {"item_id": 3, "quantity": 2, "customer": "Bo"}, episode=episode)
    assert refused["status"] == "error" and refused["http_status"] == 409
    assert checked_call(tools["quote_items"], {"body": [1, 1, 5]}, episode=episode)["value"]["total"] == 64.0
    bad = checked_call(tools["reserve_item"], {"item_id": 3, "quantity": 0}, episode=episode)
    assert bad["status"] == "invalid_arguments"
    assert {e["reason"] for e in bad["errors"]} == {"invalid_arguments", "missing_required"}
    assert {e["details"].get("check") for e in bad["errors"]} == {"out_of_range", None}


def test_openapi_headers_refs_and_problems(tmp_path, inventory):
    doc = {
        "openapi": "3.1.0", "info": {"title": "t", "version": "2"},
        "servers": [{"url": inventory}],
        "components": {"parameters": {"Key": {"name": "X-Key", "in": "header", "required": True,
                                              "schema": {"type": "string"}}}},
        "paths": {
            "/items": {"get": {"operationId": "items", "summary": "Items.",
                               "parameters": [{"$ref": "#/components/parameters/Key"}]}},
            "/a": {"get": {"operationId": "cookie_op", "summary": "Cookie.",
                           "parameters": [{"name": "s", "in": "cookie", "schema": {"type": "string"}}]}},
            "/b": {"post": {"summary": "No id, form body.",
                            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {}}}}}},
            "/c": {"get": {"operationId": "bad_ref", "summary": "Ref.",
                           "parameters": [{"$ref": "other.yaml#/x"}]}},
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(doc))
    toolset = load_toolset([{"openapi": "api.json"}], "r.yaml", base_dir=tmp_path, on_error="skip")
    (items,) = toolset.tools
    assert items.target == {"kind": "http", "base_url": inventory, "method": "GET", "path": "/items",
                            "params": {"X-Key": "header"}} and items.version == "2"
    assert len(toolset.problems) == 3
    assert "cookie_op: parameter 's' is in 'cookie'" in toolset.problems[0]
    assert "post_b: request body types" in toolset.problems[1]
    assert "bad_ref: $ref 'other.yaml#/x'" in toolset.problems[2]
    with Sandbox() as box:
        assert checked_call(items, {"X-Key": "k"}, box)["status"] == "ok"
    only = resolve_tools([{"openapi": "api.json", "base_url": "http://example.invalid", "include": ["items"]}],
                         base_dir=tmp_path)
    assert only[0].target["base_url"] == "http://example.invalid"
    (tmp_path / "swagger.json").write_text(json.dumps({"swagger": "2.0"}))
    with pytest.raises(UserError, match="not an OpenAPI 3 document"):
        resolve_tools([{"openapi": "swagger.json", "base_url": inventory}], base_dir=tmp_path)
    with pytest.raises(UserError, match="does not have: \\['nope'\\]"):
        resolve_tools([{"openapi": "api.json", "include": ["nope"]}], base_dir=tmp_path)


# ----------------------------------------------------------------- everything together

def test_recipe_mixing_every_loader(inventory, box, tmp_path):
    recipe = tmp_path / "mix.yaml"
    tools = resolve_tools(
        ["calculator", "sql_query",
         {"python": str(EXAMPLES / "workshop.py")},
         {"openai": str(EXAMPLES / "library_tools.json"), "implementation": str(EXAMPLES / "library_impl.py")},
         {"openapi": str(EXAMPLES / "inventory_openapi.yaml"), "base_url": inventory}],
        source=str(recipe))
    by = {t.name: t for t in tools}
    assert len(tools) == 2 + 7 + 2 + 4
    episode = Episode(box)
    calls = [("calculator", {"expression": "6*7"}), ("write_file", {"path": "/a", "text": "x"}),
             ("read_file", {"path": "/a"}), ("late_fee", {"due_date": "2024-01-01", "returned_on": "2024-01-02"}),
             ("get_item", {"item_id": 1})]
    results = [checked_call(by[name], args, episode=episode) for name, args in calls]
    assert [r["status"] for r in results] == ["ok"] * 5
    assert results[2]["value"] == "x"


def test_every_problem_of_a_python_tool_gets_its_own_line(tmp_path):
    write(tmp_path, "bare.py", '''
        def bare(x, y):
            return x + y

        class Shelf:
            def put(self, item, *rest):
                return item
    ''')
    with pytest.raises(UserError) as err:
        resolve_tools([{"python": "bare.py"}], source="r.yaml", base_dir=tmp_path)
    lines = err.value.problems
    assert f"r.yaml: tools[0]: {tmp_path}/bare.py: function bare: has no docstring (the model needs a description of what it does)" in lines
    assert f"r.yaml: tools[0]: {tmp_path}/bare.py: function bare: parameter(s) 'x', 'y' have no type hint" in lines
    shelf = [line for line in lines if "method Shelf.put" in line]
    assert len(shelf) == 3 and any("docstring" in s for s in shelf) and any("*rest" in s for s in shelf) \
        and any("'item' have no type hint" in s for s in shelf), lines
