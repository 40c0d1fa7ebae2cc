"""A local stand-in for HubSpot's CRM API and a CRM webhook: real HTTP on loopback.

It keeps contacts (unique by email), deals, associations and notes the way HubSpot does,
answers 409 to a second contact with the same email, records every request, and can be told to
fail a route with 429 + Retry-After or 5xx, so retries and idempotency are tested for real.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "pat-na1-test-token-4f1c"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message  # case-insensitive, as HTTP headers are
    raw: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass
class Fault:
    route: str  # "METHOD /path-prefix"
    status: int
    remaining: int
    retry_after: str | None = None


class FakeCrm:
    """HubSpot under `/crm/...`, a webhook receiver at `/webhook`, on 127.0.0.1."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.contacts: dict[str, dict[str, Any]] = {}  # id -> properties
        self.deals: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.associations: set[tuple[str, str]] = set()  # (deal id, contact id)
        self.webhook_answer: dict[str, Any] = {"ok": True}
        self._ids = itertools.count(1001)
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhook"

    def start(self) -> FakeCrm:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, route: str, status: int, *, times: int = 1, retry_after: str | None = None):
        """Answer the next `times` requests matching `route` ("POST /crm/v3/...") with `status`.

        Status 0 hangs up without answering.
        """
        with self._lock:
            self._faults.append(Fault(route, status, times, retry_after))

    def of(self, method: str, prefix: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                fault_method, prefix = fault.route.split(" ", 1)
                if fault_method == method and path.startswith(prefix) and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    def _hubspot(self, method: str, path: str, query: dict[str, str], body: Any):
        """Return (status, answer) the way HubSpot's v3/v4 API does."""
        parts = path.strip("/").split("/")
        with self._lock:
            if method == "GET" and path == "/crm/v3/objects/contacts":
                limit = int(query.get("limit", "10"))
                page = [{"id": c, "properties": p} for c, p in self.contacts.items()][:limit]
                return 200, {"results": page}
            if method == "POST" and path == "/crm/v3/objects/contacts":
                props = body["properties"]
                for cid, existing in self.contacts.items():
                    if existing["email"].lower() == props["email"].lower():
                        return 409, {
                            "status": "error",
                            "message": f"Contact already exists. Existing ID: {cid}",
                            "category": "CONFLICT",
                        }
                cid = str(next(self._ids))
                self.contacts[cid] = dict(props)
                return 201, {"id": cid, "properties": props}
            if method == "PATCH" and parts[:4] == ["crm", "v3", "objects", "contacts"]:
                key = unquote(parts[4])
                if query.get("idProperty") == "email":
                    found = [c for c, p in self.contacts.items() if p["email"] == key.lower()]
                    key = found[0] if found else ""
                if key not in self.contacts:
                    return 404, {"status": "error", "message": "resource not found"}
                self.contacts[key].update(body["properties"])
                return 200, {"id": key, "properties": self.contacts[key]}
            if method == "POST" and path == "/crm/v3/objects/deals":
                did = str(next(self._ids))
                self.deals[did] = dict(body["properties"])
                return 201, {"id": did, "properties": body["properties"]}
            if method == "PUT" and parts[:3] == ["crm", "v4", "objects"] and len(parts) == 9:
                deal, contact = parts[4], parts[8]
                if parts[3] != "deals" or parts[6:8] != ["default", "contacts"]:
                    return 400, {"status": "error", "message": "unsupported association"}
                if deal not in self.deals or contact not in self.contacts:
                    return 404, {"status": "error", "message": "object not found"}
                self.associations.add((deal, contact))
                return 200, {"status": "COMPLETE", "results": [{"from": {"id": deal}}]}
            if method == "POST" and path == "/crm/v3/objects/notes":
                nid = str(next(self._ids))
                self.notes[nid] = body
                return 201, {"id": nid, "properties": body["properties"]}
        return 404, {"status": "error", "message": f"no route {method} {path}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                split = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(split.query).items()}
                request = Request(self.command, split.path, query, self.headers, raw)
                with fake._lock:
                    fake.requests.append(request)
                fault = fake._take_fault(self.command, split.path)
                if fault is not None and fault.status == 0:
                    self.close_connection = True  # hang up without an answer
                    return
                if fault is not None:
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    self._answer(fault.status, {"status": "error", "message": "fault"}, headers)
                    return
                if split.path == "/webhook":
                    self._answer(200, fake.webhook_answer)
                    return
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._answer(401, {"status": "error", "message": "authentication failed"})
                    return
                body = json.loads(raw) if raw else None
                self._answer(*fake._hubspot(self.command, split.path, query, body))

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def running_fake_crm(token: str = TOKEN) -> Iterator[FakeCrm]:
    """Yield a started fake CRM, stopped afterwards (wrap with `pytest.fixture`)."""
    fake = FakeCrm(token).start()
    try:
        yield fake
    finally:
        fake.stop()
