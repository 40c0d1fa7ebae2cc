"""A local stand-in for Slack's Socket Mode: a real WebSocket server on loopback.

It speaks the protocol Slack documents: on connect it sends `{"type": "hello"}`; the test
pushes envelopes (`slash_commands`, `interactive`, `events_api`) with an `envelope_id`; the app
acks each by sending back `{"envelope_id": ..., "payload": ...}`, which is recorded. Point
`FakeSlack.socket_mode` at it so that `apps.connections.open` returns its `ws://` URL.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

POLL_SECONDS = 0.05


class FakeSocketMode:
    """Serve one app connection at a time; push envelopes to it and collect its acks."""

    def __init__(self) -> None:
        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake"

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Queue an envelope of `kind` for the connected app; return its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        self._outbox.put(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    def wait_connected(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.connections:
                    return
            time.sleep(POLL_SECONDS)
        raise AssertionError("the app never opened a Socket Mode connection")

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Return the app's ack of `envelope_id` (its JSON), waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if envelope_id in self.acks:
                    return self.acks[envelope_id]
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"no ack for {envelope_id}")

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections += 1
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        while True:
            try:
                self._forward(connection)
                raw = connection.recv(timeout=POLL_SECONDS)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            message = json.loads(raw)
            if "envelope_id" in message:
                with self._lock:
                    self.acks[message["envelope_id"]] = message

    def _forward(self, connection: ServerConnection) -> None:
        while True:
            try:
                envelope = self._outbox.get_nowait()
            except queue.Empty:
                return
            connection.send(json.dumps(envelope))


def running_fake_socket_mode() -> Iterator[FakeSocketMode]:
    """Yield a started server, stopped afterwards (wrap with `pytest.fixture`)."""
    fake = FakeSocketMode().start()
    try:
        yield fake
    finally:
        fake.stop()
