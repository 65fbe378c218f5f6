"""Calls to HTTP services (tools from an OpenAPI document).

No untrusted code runs here: toolmint's own client sends one request built from validated
arguments, under the same wall-time and output limits, and returns the sandbox's result shape.

Target: {"kind": "http", "base_url": "http://127.0.0.1:8000", "method": "GET", "path": "/items/{id}",
         "params": {"id": "path", "q": "query", "X-Key": "header", "body": "body"}}
Parameters mapped to "body" become the properties of a JSON body object; one mapped to "body_raw"
is sent as the whole JSON body (for a request body that is not an object).

A call that never reached the service (connection refused, an unknown host, no connection within
the wall time, the connection dropped before an answer) has `fault: "transport"` beside its error:
the service's own answers, 4xx and 5xx included, are the tool's result; a transport fault is not.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

from sandbox.limits import Limits


def call_http(target: dict, arguments: dict, limits: Limits) -> dict:
    start = time.perf_counter()
    where = target.get("params", {})
    path = target["path"]
    query, headers, body = {}, {"Accept": "application/json"}, {}
    for name, value in arguments.items():
        place = where.get(name, "query")
        if place == "path":
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        elif place == "header":
            headers[name] = str(value)
        elif place == "body":
            body[name] = value
        elif place == "body_raw":
            body = value
        else:
            query[name] = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    url = target["base_url"].rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = None
    if body or "body_raw" in where.values():
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=target.get("method", "GET").upper())
    result = {"status": "ok", "value": None, "stdout": "", "stderr": "", "cpu_ms": None}
    try:
        with urllib.request.urlopen(request, timeout=limits.wall_s) as response:
            raw = response.read(limits.output_bytes + 1)
            code = response.status
    except urllib.error.HTTPError as exc:
        raw, code = exc.read(limits.output_bytes + 1), exc.code
    except urllib.error.URLError as exc:  # before any answer: refused, no such host, no connection in time
        transport = isinstance(exc.reason, OSError)
        reason = getattr(exc.reason, "strerror", None) or str(exc.reason)
        result.update(status="error", exc_type="ConnectionError", message=f"{url}: {reason}",
                      **({"fault": "transport"} if transport else {}))
        raw, code = b"", None
    except TimeoutError:  # connected, then the service took too long to answer: its answer, like a slow tool
        result.update(status="timeout", message=f"no answer from {url} within {limits.wall_s}s")
        raw, code = b"", None
    except ConnectionError as exc:  # connected, then dropped without an answer (the service went away)
        result.update(status="error", exc_type="ConnectionError", message=f"{url}: {exc.strerror or exc}",
                      fault="transport")
        raw, code = b"", None
    except OSError as exc:
        result.update(status="error", exc_type="ConnectionError", message=f"{url}: {exc}")
        raw, code = b"", None
    if len(raw) > limits.output_bytes:
        result.update(status="output_limit", message=f"response larger than {limits.output_bytes} bytes")
        raw = raw[: limits.output_bytes]
    text = raw.decode("utf-8", "replace")
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError:
        value = text
    if result["status"] == "ok":
        result["value"] = value
        if code is not None and code >= 400:
            result.update(status="error", exc_type=f"HTTP{code}", message=text[:2000])
    result["http_status"] = code
    result["wall_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return result
