"""A tiny HTTP service that implements inventory_openapi.yaml (standard library only).

    python recipes/tools/inventory_server.py --port 8765

Tests start it in a thread on 127.0.0.1 with `serve(port=0)`.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ITEMS = [
    {"id": 1, "name": "claw hammer", "category": "tools", "price": 12.5, "stock": 14},
    {"id": 2, "name": "screwdriver set", "category": "tools", "price": 19.9, "stock": 6},
    {"id": 3, "name": "garden hose 20 m", "category": "garden", "price": 24.0, "stock": 3},
    {"id": 4, "name": "pruning shears", "category": "garden", "price": 15.75, "stock": 0},
    {"id": 5, "name": "chef's knife", "category": "kitchen", "price": 39.0, "stock": 8},
    {"id": 6, "name": "cast-iron pan", "category": "kitchen", "price": 29.5, "stock": 5},
]


class Handler(BaseHTTPRequestHandler):
    items: list[dict]  # set per server by serve()

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/items":
            hits = [i for i in self.items
                    if ("category" not in q or i["category"] == q["category"])
                    and ("max_price" not in q or i["price"] <= float(q["max_price"]))]
            return self._send(200, hits[: int(q.get("limit", 10))])
        m = re.fullmatch(r"/items/(\d+)", url.path)
        if m:
            item = next((i for i in self.items if i["id"] == int(m.group(1))), None)
            return self._send(200, item) if item else self._send(404, {"error": f"no item {m.group(1)}"})
        self._send(404, {"error": "not found"})

    def do_POST(self):
        url = urlparse(self.path)
        m = re.fullmatch(r"/items/(\d+)/reserve", url.path)
        if m:
            body = self._body() or {}
            item = next((i for i in self.items if i["id"] == int(m.group(1))), None)
            if item is None:
                return self._send(404, {"error": f"no item {m.group(1)}"})
            if body.get("quantity", 0) > item["stock"]:
                return self._send(409, {"error": f"only {item['stock']} in stock"})
            item["stock"] -= body["quantity"]
            return self._send(200, {"item_id": item["id"], "reserved": body["quantity"], "customer": body.get("customer"),
                                    "stock_left": item["stock"], "note": body.get("note")})
        if url.path == "/quotes":
            ids = self._body()
            if not isinstance(ids, list):
                return self._send(400, {"error": "expected a list of item ids"})
            prices = {i["id"]: i["price"] for i in self.items}
            unknown = [i for i in ids if i not in prices]
            if unknown:
                return self._send(404, {"error": f"unknown items {unknown}"})
            return self._send(200, {"items": len(ids), "total": round(sum(prices[i] for i in ids), 2)})
        self._send(404, {"error": "not found"})


def serve(port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the service in a daemon thread; `server.server_address[1]` is its port, `shutdown()` stops it."""
    handler = type("InventoryHandler", (Handler,), {"items": [dict(i) for i in ITEMS]})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), type("InventoryHandler", (Handler,), {"items": [dict(i) for i in ITEMS]}))
    print(f"inventory service on http://{args.host}:{args.port}")
    server.serve_forever()
