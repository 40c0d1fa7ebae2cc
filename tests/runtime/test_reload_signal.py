"""SIGHUP has a running `cam-bot` read its mailboxes file again, as `/cam reload` does."""

from __future__ import annotations

import signal

from sqlalchemy import select

from bot.event_payloads import ConfigReloaded
from cam.core.db import SessionFactory
from cam.core.models import Event
from tests.e2e.slack_client import OUTSIDER, SignedSlack, shown
from tests.e2e.test_reload import TEAM
from tests.fakes.slack_api import FakeSlack
from tests.replies.prospects import wait_for
from tests.runtime.processes import free_port, start_bot, stop, wait_healthy
from tests.runtime.test_startup import SIGNING, bot_env


def reloads(sessions: SessionFactory, count: int) -> list[dict[str, object]] | None:
    """The reloads recorded, once there are `count` of them (None before, for `wait_for`)."""
    with sessions() as session:
        rows = list(session.scalars(select(Event.details).where(Event.name == ConfigReloaded.name)))
    return rows if len(rows) >= count else None


def test_sighup_reloads_the_mailboxes_file_or_keeps_it(
    tmp_path, fake_slack: FakeSlack, db_url: str, sessions: SessionFactory
) -> None:
    path = tmp_path / "mailboxes.toml"
    path.write_text(TEAM)
    port = free_port()
    log = tmp_path / "bot.log"
    env = bot_env(fake_slack, db_url, port, CAM_MAILBOXES_FILE=str(path))
    process = start_bot(env, tmp_path, log)
    try:
        wait_healthy(port)
        slack = SignedSlack(f"http://127.0.0.1:{port}/slack/events", secret=SIGNING)

        def limits() -> str:
            return shown(slack.command("limits", user=OUTSIDER).json)

        assert "<@U0456JONAS>" in limits()

        path.write_text(TEAM.replace("U0456JONAS", "U0789LENA").replace("daily_cap", "daly_cap"))
        process.send_signal(signal.SIGHUP)
        [refused] = wait_for(lambda: reloads(sessions, 1))
        assert refused["by"] == "SIGHUP" and "unknown key 'daly_cap'" in str(refused["error"])
        assert "<@U0456JONAS>" in limits()

        path.write_text(TEAM.replace("U0456JONAS", "U0789LENA"))
        process.send_signal(signal.SIGHUP)
        _, taken = wait_for(lambda: reloads(sessions, 2))
        assert taken == {"by": "SIGHUP", "mailboxes": 2}
        assert "<@U0789LENA>" in limits()
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert "reload by SIGHUP refused, the files in use are kept: invalid mailboxes file" in output
    assert "mailboxes and snippets files reloaded by SIGHUP (2 mailboxes listed)" in output
