"""`cam pause`, `cam resume`, `cam dry`: the kill switches from a terminal, Slack or not."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import select

from bot.notifier import Notifier, notifier_client
from cam.core.db import SessionFactory, unit_of_work
from cam.core.event_payloads import StateChanged
from cam.core.models import Event, MailboxState, Notification, NotificationTopic
from cam.core.settings import DATA_DIR
from cam.core.state import get_state, set_dry_run
from tests.cli.helpers import cam_in_process
from tests.e2e.slack_client import settings_for
from tests.fakes.slack_api import FakeSlack

USER = "maya"
OPERATOR = f"{USER}@{socket.gethostname()}"
MAILBOXES = DATA_DIR / "mailboxes.example.toml"
PASSWORDS = {
    "MAYA_SMTP_PASSWORD": "maya-smtp-pw",
    "MAYA_IMAP_PASSWORD": "maya-imap-pw",
    "JONAS_SMTP_PASSWORD": "jonas-smtp-pw",
    "JONAS_IMAP_PASSWORD": "jonas-imap-pw",
}


def switch_events(sessions: SessionFactory, name: str) -> list[dict[str, object]]:
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(Event).where(Event.name == name).order_by(Event.id))
        return [dict(row.details) for row in rows]


def announcements(sessions: SessionFactory) -> int:
    topic = NotificationTopic.switch_changed
    with unit_of_work(sessions) as session:
        return len(list(session.scalars(select(Notification).where(Notification.topic == topic))))


def test_pause_and_resume_from_the_terminal_are_recorded_and_announced(
    tmp_path: Path, db_url: str, sessions: SessionFactory, fake_slack: FakeSlack
) -> None:
    paused = cam_in_process(tmp_path, "pause", DATABASE_URL=db_url, USER=USER)
    assert paused.returncode == 0, paused.stderr
    assert "Paused CAM" in paused.stdout and OPERATOR in paused.stdout
    with unit_of_work(sessions) as session:
        assert get_state(session).paused
    again = cam_in_process(tmp_path, "pause", DATABASE_URL=db_url, USER=USER)
    assert again.returncode == 0 and "already paused" in again.stdout
    assert switch_events(sessions, StateChanged.name) == [{"by": OPERATOR, "paused": True}]
    assert announcements(sessions) == 1

    # The bot's notifier (as cam-bot runs it every few seconds) tells the report channel.
    settings = settings_for(fake_slack, db_url)
    Notifier(notifier_client(settings), sessions, settings).deliver_pending()
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.params["channel"] == settings.report_channel
    assert f"CAM paused from the terminal by {OPERATOR}" in post.params["text"]

    resumed = cam_in_process(tmp_path, "resume", DATABASE_URL=db_url, USER=USER)
    assert resumed.returncode == 0, resumed.stderr
    with unit_of_work(sessions) as session:
        assert not get_state(session).paused
    assert switch_events(sessions, StateChanged.name)[-1] == {"by": OPERATOR, "paused": False}
    assert announcements(sessions) == 2


def test_dry_from_the_terminal_stops_live_sending(
    tmp_path: Path, db_url: str, sessions: SessionFactory
) -> None:
    with unit_of_work(sessions) as session:
        set_dry_run(session, dry_run=False, by="UAPPROVER1")
    done = cam_in_process(tmp_path, "dry", DATABASE_URL=db_url, USER=USER)
    assert done.returncode == 0, done.stderr
    assert "Switched dry run on" in done.stdout and "/cam live" in done.stdout
    with unit_of_work(sessions) as session:
        state = get_state(session)
        assert state.dry_run and state.updated_by == OPERATOR
    assert "already in dry run" in cam_in_process(tmp_path, "dry", DATABASE_URL=db_url).stdout
    # Going live stays a decision of two approvers in Slack.
    assert cam_in_process(tmp_path, "live", DATABASE_URL=db_url).returncode == 2


def test_one_mailbox_is_paused_from_the_terminal(
    tmp_path: Path, db_url: str, sessions: SessionFactory
) -> None:
    env = {"DATABASE_URL": db_url, "CAM_MAILBOXES_FILE": str(MAILBOXES), "USER": USER}
    done = cam_in_process(tmp_path, "pause", "jonas", **env, **PASSWORDS)
    assert done.returncode == 0, done.stderr
    assert "Paused mailbox jonas" in done.stdout
    with unit_of_work(sessions) as session:
        row = session.get(MailboxState, "jonas")
        assert row is not None and row.paused and row.paused_by == OPERATOR
        assert not get_state(session).paused
    unknown = cam_in_process(tmp_path, "pause", "petra", **env, **PASSWORDS)
    assert unknown.returncode == 1
    assert "no mailbox is called 'petra'" in unknown.stderr and "jonas" in unknown.stderr
    assert cam_in_process(tmp_path, "resume", "jonas", **env, **PASSWORDS).returncode == 0
    with unit_of_work(sessions) as session:
        row = session.get(MailboxState, "jonas")
        assert row is not None and not row.paused
    single = cam_in_process(tmp_path, "pause", "maya", DATABASE_URL=db_url)
    assert single.returncode == 1 and "one mailbox" in single.stderr
