"""`/cam status` and App Home show how each of a team's mailboxes is read, over signed HTTP.

The bot runs with a mailboxes file of two (`maya`, `jonas`), each with its own pymap server,
and the scheduler's reply watchers on both: maya's is read, jonas's refuses the login of a
username that is Slack markup, so his line shows the error, escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from bot.app import web_client
from bot.notifier import Notifier
from bot.scheduler import BotScheduler
from cam.core.db import unit_of_work
from cam.core.models import MailboxWatch
from cam.gateways.factory import build_gateways
from tests.e2e.slack_client import OUTSIDER, RunningBot, shown
from tests.gateways import imap_server
from tests.gateways.mailbox_team import JONAS, MAYA, running_team
from tests.gateways.smtp_server import smtp_ca
from tests.replies.prospects import wait_for

__all__ = ["smtp_ca"]

HOSTILE_USER = "<!channel>"


@pytest.fixture
def watching_team(
    start_bot: Callable[..., RunningBot],
    smtp_ca: tuple[trustme.CA, Path],
    imap_ca: tuple[trustme.CA, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningBot]:
    """The bot with a reply watcher on each of two mailboxes, until both have been tried."""
    with running_team(smtp_ca, imap_ca, tmp_path, (MAYA, JONAS)) as team:
        for name, value in team.env.items():
            monkeypatch.setenv(name, value)
        jonas_port = team.mailboxes["jonas"].imap.port
        text = team.file.read_text()
        # Only jonas's IMAP login names the hostile user (the entries share one username).
        head, jonas = text.split('key = "jonas"')
        jonas = jonas.replace(
            f'username = "{imap_server.USERNAME}"\npassword_env = "JONAS_IMAP_PASSWORD"',
            f'username = "{HOSTILE_USER}"\npassword_env = "JONAS_IMAP_PASSWORD"',
        )
        team.file.write_text(f'{head}key = "jonas"{jonas}')
        bot = start_bot(CAM_MAILBOXES_FILE=str(team.file), CAM_REPLY_POLL_SECONDS="2")
        notifier = Notifier(web_client(bot.settings), bot.sessions, bot.settings, config=bot.config)
        gateways = build_gateways(bot.settings, bot.config.process.mailboxes)
        scheduler = BotScheduler(bot.settings, bot.sessions, gateways, notifier)
        assert len(scheduler.watchers) == 2
        for watcher in scheduler.watchers:
            watcher.start()
        try:
            wait_for(lambda: _tried(bot, jonas_port))
            yield bot
        finally:
            scheduler.shutdown(wait=False)


def _tried(bot: RunningBot, jonas_port: int) -> bool:
    """Tell whether maya's mailbox was read and jonas's login failed."""
    with unit_of_work(bot.sessions) as session:
        watches = list(session.scalars(select(MailboxWatch)))
    read = [w for w in watches if w.last_read_at is not None and w.last_error is None]
    failed = [w for w in watches if f":{jonas_port}/" in w.mailbox and w.last_error]
    return len(watches) == 2 and len(read) == 1 and len(failed) == 1


def test_status_and_home_show_each_mailbox_read_and_its_error(
    watching_team: RunningBot,
) -> None:
    bot = watching_team
    status = shown(bot.slack.command("status", user=OUTSIDER).json)
    bot.slack.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home"})
    [home] = bot.fake_slack.wait_for("views.publish")
    for surface in (status, shown(home.params)):
        assert "*Replies*\\n2 mailboxes, each below" in surface
        # By name: "<" sorts before "replies".
        jonas, maya = _lines(surface)
        assert maya.startswith(f"• imap://{imap_server.USERNAME}@")
        assert "; last read <!date^" in maya and ":warning:" not in maya
        assert jonas.startswith("• imap://&lt;!channel&gt;@")
        assert "; last read never · :warning: " in jonas
        assert HOSTILE_USER not in surface
    assert bot.fake_slack.violations == []


def _lines(surface: str) -> list[str]:
    """The mailbox lines of a status (JSON text), in the order shown."""
    return re.findall(r'• imap://.*?(?=\\n|")', surface)
