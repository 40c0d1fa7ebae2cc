"""Downloading a shared file from a real HTTP server on loopback: a server that drips its bytes
cannot hold the worker thread past the download's deadline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.shared_files import FileRefused, SharedFile, download

CSV = b"email,first_name\r\nada@acme.example,Ada\r\n"


class _Handler(BaseHTTPRequestHandler):
    """Serve `CSV` at once on /fast; on /drip, claim 100 kB and send a byte every 20 ms."""

    stop = threading.Event()

    def do_GET(self) -> None:
        drip = self.path.startswith("/drip")
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(100_000 if drip else len(CSV)))
        self.end_headers()
        if not drip:
            self.wfile.write(CSV)
            return
        for byte in (CSV * 3000)[:100_000]:
            if self.stop.wait(0.02):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def files_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.stop.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Handler.stop.set()
        server.shutdown()
        server.server_close()


def _file(url: str) -> SharedFile:
    return SharedFile(id="F1", name="leads.csv", mimetype="text/csv", url_private_download=url)


def test_a_dripping_download_stops_at_its_deadline(files_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "shared.csv"
    # The drip would last half an hour: only the deadline ends it (pytest-timeout otherwise).
    with pytest.raises(FileRefused, match="took too long"):
        download(
            _file(f"{files_server}/drip/leads.csv"),
            token="xoxb-test",
            api_url=files_server,
            dest=dest,
            deadline=0.5,
        )


def test_a_prompt_download_is_whole_within_the_deadline(files_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "shared.csv"
    size = download(
        _file(f"{files_server}/fast/leads.csv"),
        token="xoxb-test",
        api_url=files_server,
        dest=dest,
        deadline=5.0,
    )
    assert size == len(CSV) and dest.read_bytes() == CSV
