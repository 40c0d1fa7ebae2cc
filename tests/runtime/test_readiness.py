"""`/healthz` is liveness, `/readyz` readiness: a real `cam-bot` process asked over HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.state import set_dry_run
from tests.fakes.slack_api import FakeSlack
from tests.runtime.processes import free_port, start_bot, stop, wait_healthy
from tests.runtime.test_startup import bot_env, health


def ready(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_slack_away_is_alive_but_not_ready_until_it_answers(
    tmp_path: Path, fake_slack: FakeSlack, db_url: str
) -> None:
    fake_slack.fail("auth.test", 503, times=2)
    port = free_port()
    log = tmp_path / "bot.log"
    process = start_bot(bot_env(fake_slack, db_url, port), tmp_path, log)
    try:
        wait_healthy(port)
        assert health(port)[0] == 200
        assert ready(port) == (503, "not ready:\n- Slack unreachable (HTTP 503)\n")
        deadline = time.monotonic() + 20
        while ready(port)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready(port) == (200, "ready\n")
    finally:
        assert stop(process) == 0, log.read_text()


def test_live_without_a_way_to_send_is_not_ready(
    tmp_path: Path, fake_slack: FakeSlack, db_url: str
) -> None:
    engine = make_engine(db_url)
    with unit_of_work(session_factory(engine)) as session:
        set_dry_run(session, dry_run=False, by="UAPPROVER1")
    engine.dispose()
    port = free_port()
    log = tmp_path / "bot.log"
    process = start_bot(bot_env(fake_slack, db_url, port), tmp_path, log)
    try:
        wait_healthy(port)
        assert health(port) == (200, "ok\n")
        status, body = ready(port)
        assert status == 503
        assert "mailbox default: live, but its sending mail (SMTP) is not set up" in body
        assert "Slack" not in body
    finally:
        assert stop(process) == 0, log.read_text()
