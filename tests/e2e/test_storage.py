"""A database that answers but cannot store: named as such in Slack and by `/healthz`."""

from __future__ import annotations

import contextlib
import http.client
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import create_app
from bot.routes import make_wsgi_app
from bot.worker import Worker
from cam.core.db import make_engine, session_factory, upgrade
from tests.e2e.slack_client import APPROVER, SignedSlack, serve_wsgi, settings_for
from tests.fakes.slack_api import FakeSlack


@contextlib.contextmanager
def bot_on(url: str, fake_slack: FakeSlack) -> Iterator[tuple[str, SignedSlack]]:
    """Serve the bot on the database at `url`; yield its base URL and a signed client."""
    settings = settings_for(fake_slack, url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    worker = Worker()
    app = create_app(settings, sessions, worker=worker)
    try:
        with serve_wsgi(make_wsgi_app(app, settings, sessions)) as base:
            yield base, SignedSlack(f"{base}/slack/events")
    finally:
        worker.shutdown()
        engine.dispose()


def healthz(base: str) -> tuple[int, str]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def migrated(path: Path) -> Path:
    upgrade(f"sqlite:///{path}")
    return path


def test_a_read_only_database_is_named_read_only(tmp_path: Path, fake_slack: FakeSlack) -> None:
    path = migrated(tmp_path / "cam.db")
    with bot_on(f"sqlite:///file:{path}?mode=ro&uri=true", fake_slack) as (base, slack):
        status, body = healthz(base)
        assert status == 503 and "read-only" in body
        answer = slack.command("pause", user=APPROVER).json["text"]
        # What needs no write still answers: the replay check lets it through unrecorded.
        assert "*CAM commands*" in slack.command("help").json["text"]
    assert "read-only" in answer and "cannot be reached" not in answer


@contextlib.contextmanager
def tiny_disk(where: Path) -> Iterator[Path]:
    """Mount a 4 MB file system at `where` (root only; skipped elsewhere)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> None:
    """Write a file until the disk has no room left."""
    with (disk / "filler").open("wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()


def test_a_full_disk_is_named_full(tmp_path: Path, fake_slack: FakeSlack) -> None:
    source = migrated(tmp_path / "cam.db")
    with tiny_disk(tmp_path / "disk") as disk:
        shutil.copy(source, disk / "cam.db")
        url = f"sqlite:///{disk / 'cam.db'}"
        with bot_on(url, fake_slack) as (base, slack):
            assert healthz(base) == (200, "ok\n")
            fill(disk)
            status, body = healthz(base)
            assert status == 503 and "disk is full" in body
            answer = slack.command("pause", user=APPROVER).json["text"]
            assert "disk is full" in answer and "cannot be reached" not in answer
            # Room again: the same bot is healthy and stores the pause.
            (disk / "filler").unlink()
            assert healthz(base) == (200, "ok\n")
            assert "paused CAM" in slack.command("pause", user=APPROVER).json["text"]
