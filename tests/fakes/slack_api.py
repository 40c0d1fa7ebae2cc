"""A local stand-in for Slack's Web API: real HTTP on loopback, recording every call.

It checks what Slack checks (token, block and text limits) and can be told to fail with
429 + Retry-After, 500 or a slow answer, so retries and outages are tested for real. A slow
answer can also come after the call was carried out (`accept=True`): the client times out on
a message that is in the channel, which `conversations.history` then shows, as in Slack. An
answer held until the test releases it (`hold`) is slow for exactly as long as a test needs.
Files people share (`share_file`) are described by `files.info` and `files.list` and their bytes
served at `url_private_download` to the bot's token only, as Slack does.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    delay: float = 0.0
    remaining: int = 1
    accept: bool = False  # carry the call out, then answer late (or not at all)
    error: str | None = None  # answer 200 with `ok: false` and this error (e.g. missing_scope)
    hold: threading.Event | None = None  # wait for it (at most a minute) instead of `delay`

    def wait(self) -> None:
        if self.hold is None:
            time.sleep(self.delay)
        else:
            self.hold.wait(timeout=60)


class FakeSlack:
    """Serve `/api/<method>` and `/response/<id>` (response_url) on 127.0.0.1."""

    def __init__(self, token: str = "xoxb-test-token", *, ts_base: int = 1700000000) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.violations: list[str] = []
        # Files uploaded through files.getUploadURLExternal: the bytes, by file id.
        self.uploads: dict[str, bytes] = {}
        # Set to make the upload URL answer 500, as when the transfer fails.
        self.fail_uploads = False
        # Messages posted, by channel, oldest first: what `conversations.history` reads.
        self.messages: dict[str, list[dict[str, Any]]] = {}
        # Files people shared (`share_file`), by id, as files.info describes them; their bytes.
        self.files: dict[str, dict[str, Any]] = {}
        self.file_bytes: dict[str, bytes] = {}
        # Socket Mode: `apps.connections.open` with this app-level token returns this URL.
        self.app_token: str | None = None
        self.socket_mode_url: str | None = None
        self._faults: dict[str, list[Fault]] = {}
        self._ts = itertools.count(1)
        # Slack's ts is the post's Unix time; pass the real time when a test reads history.
        self._ts_base = ts_base
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the Web API, ending with `/` as slack_sdk expects."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/response/{name}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        accept: bool = False,
        error: str | None = None,
        hold: threading.Event | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with `status` (after `delay` seconds, or
        once `hold` is set); with `accept`, carry each call out first, as Slack does when only
        its answer is slow; with `error`, answer `{"ok": false, "error": error}` as Slack
        refuses a call."""
        with self._lock:
            self._faults.setdefault(method, []).append(
                Fault(
                    status=status,
                    retry_after=retry_after,
                    delay=delay,
                    remaining=times,
                    accept=accept,
                    error=error,
                    hold=hold,
                )
            )

    def share_file(
        self,
        name: str,
        content: bytes,
        *,
        user: str,
        channel: str,
        mimetype: str = "text/csv",
        filetype: str = "csv",
        size: int | None = None,
    ) -> dict[str, Any]:
        """Share a file in `channel` as `user` would (a message holding it); return the file
        object files.info gives. `size` is what Slack claims, the length of `content` unless
        told otherwise."""
        port = self._server.server_address[1]
        file_id = f"F{next(self._ts):08d}"
        ts = f"{self._ts_base + next(self._ts)}.000300"
        file = {
            "id": file_id,
            "created": self._ts_base + next(self._ts),
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "user": user,
            "size": len(content) if size is None else size,
            "url_private": f"http://127.0.0.1:{port}/files-pri/T0-{file_id}/{quote(name)}",
            "url_private_download": (
                f"http://127.0.0.1:{port}/files-pri/T0-{file_id}/download/{quote(name)}"
            ),
            "channels": [channel],
            "shares": {"public": {channel: [{"ts": ts, "channel_name": "cam-reports"}]}},
        }
        with self._lock:
            self.files[file_id] = file
            self.file_bytes[file_id] = content
            self.messages.setdefault(channel, []).append(
                {
                    "type": "message",
                    "subtype": "file_share",
                    "ts": ts,
                    "user": user,
                    "text": "",
                    "thread_ts": None,
                    "metadata": None,
                    "files": [{"id": file_id}],
                }
            )
        return file

    def heal(self) -> None:
        """Drop every fault still queued: Slack answers normally again."""
        with self._lock:
            self._faults.clear()

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `count` calls of `method` arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} calls, got {len(self.of(method))}")

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method, [])
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            self._check_message(method, params)
        if method == "views.publish":
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            self._check_blocks(method, view.get("blocks", []), MAX_HOME_BLOCKS)
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "url": ""}
        if method == "chat.postMessage":
            ts = f"{self._ts_base + next(self._ts)}.000100"
            self._keep(params, ts)
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": params}
        if method in ("conversations.history", "conversations.replies"):
            return self._history(method, params)
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "files.getUploadURLExternal":
            return self._upload_url(params)
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method == "files.info":
            with self._lock:
                found = self.files.get(str(params.get("file")))
            return (
                {"ok": True, "file": found} if found else {"ok": False, "error": "file_not_found"}
            )
        if method == "files.list":
            return self._list_files(params)
        if method == "chat.getPermalink":
            channel, ts = params.get("channel"), str(params.get("message_ts") or "")
            link = f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        return {"ok": True}

    def _list_files(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, filtered by `channel` and `user` as Slack does."""
        with self._lock:
            found = sorted(self.files.values(), key=lambda f: f["created"], reverse=True)
        for key, field_of in (("channel", "channels"), ("user", "user")):
            wanted = params.get(key)
            if wanted:
                found = [f for f in found if wanted == f[field_of] or wanted in f[field_of]]
        count = int(params.get("count") or 100)
        return {"ok": True, "files": found[:count], "paging": {"count": count, "total": len(found)}}

    def _download(self, path: str, authorization: str) -> tuple[int, bytes]:
        """The bytes of a shared file, to the bot's token only (as Slack: 401 without it)."""
        file_id = path.split("/")[2].rpartition("-")[2]
        with self._lock:
            content = self.file_bytes.get(file_id)
        if authorization != f"Bearer {self.token}":
            return 401, b"unauthorized"
        if content is None:
            return 404, b"not found"
        return 200, content

    def _keep(self, params: dict[str, Any], ts: str) -> None:
        metadata = params.get("metadata")
        message = {
            "type": "message",
            "ts": ts,
            "text": params.get("text"),
            "thread_ts": params.get("thread_ts"),
            "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata,
        }
        with self._lock:
            self.messages.setdefault(str(params.get("channel")), []).append(message)

    def _history(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, after `oldest`, `limit` a page with a cursor; metadata only when asked,
        as Slack does; `conversations.replies` gives the thread of `ts`."""
        with self._lock:
            found = list(self.messages.get(str(params.get("channel")), []))
        if method == "conversations.replies":
            parent = str(params.get("ts"))
            found = [m for m in found if parent in (m["ts"], m["thread_ts"])]
        else:
            found = [m for m in found if not m["thread_ts"]]
        oldest = float(params.get("oldest") or 0)
        found = [m for m in reversed(found) if float(m["ts"]) > oldest]
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 100)
        page = found[start : start + limit]
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        shown = [{k: v for k, v in m.items() if k != "metadata" or with_metadata} for m in page]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": shown,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """Hand out an upload URL on this server, as Slack hands out one on files.slack.com."""
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        port = self._server.server_address[1]
        return {
            "ok": True,
            "file_id": file_id,
            "upload_url": f"http://127.0.0.1:{port}/upload/{file_id}",
        }

    def _receive_upload(self, path: str, body: bytes) -> int:
        """Keep the bytes POSTed to an upload URL; return the HTTP status to answer."""
        if self.fail_uploads:
            return 500
        with self._lock:
            self.uploads[path.rsplit("/", 1)[-1]] = body
        return 200

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        listed = json.loads(files) if isinstance(files, str) else files or []
        with self._lock:
            missing = [f.get("id") for f in listed if f.get("id") not in self.uploads]
        if not listed or missing:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in listed]}

    def _check_message(self, method: str, params: dict[str, Any]) -> None:
        if not params.get("text"):
            self.violations.append(f"{method}: no fallback text")
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        self._check_blocks(method, blocks, MAX_BLOCKS)

    def _check_blocks(self, method: str, blocks: list[dict[str, Any]], limit: int) -> None:
        if len(blocks) > limit:
            self.violations.append(f"{method}: {len(blocks)} blocks (limit {limit})")
        for block in blocks:
            text = (block.get("text") or {}).get("text", "")
            if block.get("type") == "header" and len(text) > MAX_HEADER_TEXT:
                self.violations.append(f"{method}: header of {len(text)} characters")
            if block.get("type") == "section" and len(text) > MAX_SECTION_TEXT:
                self.violations.append(f"{method}: section of {len(text)} characters")
            for element in [*block.get("elements", []), block.get("accessory") or {}]:
                if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
                    self.violations.append(f"{method}: button value too long")
                if len(str(element.get("action_id", ""))) > MAX_ACTION_ID:
                    self.violations.append(f"{method}: action_id too long")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                if split.path.startswith("/files-pri/"):
                    self._serve_file(split.path)
                    return
                self._call(split.path, {k: v[0] for k, v in parse_qs(split.query).items()})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.startswith("/upload/"):
                    self._upload(body)
                    return
                raw = body.decode()
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                self._call(self.path.split("?")[0], params)

            def _call(self, path: str, params: dict[str, Any]) -> None:
                method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else "response_url"
                if method == "response_url":
                    params["_response_name"] = path.rsplit("/", 1)[-1]
                with fake._lock:
                    fake.calls.append(Call(method, params, dict(self.headers.items())))
                fault = fake._take_fault(method)
                if fault is not None and fault.accept:
                    authorized = self.headers.get("Authorization", "") == f"Bearer {fake.token}"
                    answer = (
                        fake._answer(method, params)
                        if authorized
                        else {"ok": False, "error": "invalid_auth"}
                    )
                    fault.wait()
                    self._json(answer)
                    return
                if fault is not None:
                    fault.wait()
                    if fault.error is not None:
                        self._json({"ok": False, "error": fault.error})
                        return
                    if fault.status != 200:
                        self.send_response(fault.status)
                        if fault.retry_after is not None:
                            self.send_header("Retry-After", str(fault.retry_after))
                        self.send_header("Content-Type", "application/json")
                        self.end_headers()
                        self.wfile.write(b'{"ok": false, "error": "ratelimited"}')
                        return
                if method == "apps.connections.open" and fake.socket_mode_url is not None:
                    auth = self.headers.get("Authorization", "")
                    if auth == f"Bearer {fake.app_token}":
                        self._json({"ok": True, "url": fake.socket_mode_url})
                        return
                if method != "response_url":
                    auth = self.headers.get("Authorization", "")
                    if auth != f"Bearer {fake.token}":
                        self._json({"ok": False, "error": "invalid_auth"})
                        return
                self._json(
                    {"ok": True} if method == "response_url" else fake._answer(method, params)
                )

            def _serve_file(self, path: str) -> None:
                authorization = self.headers.get("Authorization", "")
                with fake._lock:
                    fake.calls.append(Call("download", {"path": path}, dict(self.headers)))
                status, content = fake._download(path, authorization)
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _upload(self, body: bytes) -> None:
                with fake._lock:
                    fake.calls.append(Call("upload", {"bytes": len(body)}, dict(self.headers)))
                status = fake._receive_upload(self.path, body)
                answer = f"OK - {len(body)}".encode() if status == 200 else b"upload failed"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (a timeout test): nobody reads this

        return Handler


def running_fake_slack(token: str = "xoxb-test-token") -> Iterator[FakeSlack]:
    """Yield a started fake, stopped afterwards (wrap with `pytest.fixture`)."""
    fake = FakeSlack(token).start()
    try:
        yield fake
    finally:
        fake.stop()
