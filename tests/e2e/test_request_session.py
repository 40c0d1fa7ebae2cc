"""One database session per Slack request (bot/request_session.py), over signed HTTP: what a
listener stored is committed when it returns and rolled back when it raises; a refusal keeps
only its record; the session is of no use once its request is over, and holds no lock while
the listener calls Slack."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from slack_bolt import Ack
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from bot.app import create_app
from bot.event_payloads import CommandRefused
from bot.request_session import in_request_session
from bot.routes import make_wsgi_app
from bot.worker import Worker
from cam.core.db import SessionFactory, unit_of_work
from cam.core.event_payloads import StateChanged
from cam.core.models import Event, JobLease, utcnow
from cam.core.state import get_state, set_dry_run, set_paused
from tests.e2e.answering import MAYA, open_modal, post_reply_card, team_bot
from tests.e2e.slack_client import APPROVER, OUTSIDER, RunningBot, SignedSlack, serve_wsgi
from tests.e2e.slack_client import settings_for as bot_settings
from tests.fakes.slack_api import FakeSlack
from tests.gateways.smtp_server import SmtpServer


@dataclass
class Probed:
    """The bot with one more command, `/probe`: it pauses CAM, then raises if asked to."""

    slack: SignedSlack
    sessions: SessionFactory
    # The session each `/probe` request was handed.
    handed: list[Session] = field(default_factory=list)

    def paused(self) -> bool:
        with unit_of_work(self.sessions) as session:
            return get_state(session).paused

    def state_changes(self) -> int:
        with unit_of_work(self.sessions) as session:
            return len(session.scalars(select(Event).where(Event.name == StateChanged.name)).all())


@pytest.fixture
def probed(fake_slack: FakeSlack, db_url: str, sessions: SessionFactory) -> Iterator[Probed]:
    settings = bot_settings(fake_slack, db_url)
    worker = Worker()
    app = create_app(settings, sessions, worker=worker)
    with serve_wsgi(make_wsgi_app(app, settings, sessions)) as base:
        probe = Probed(SignedSlack(f"{base}/slack/events"), sessions)

        def pause_then_maybe_fail(ack: Ack, command: dict[str, str], db_session: Session) -> None:
            probe.handed.append(db_session)
            set_paused(db_session, paused=True, by=command["user_id"], now=utcnow())
            if command["text"] == "fail":
                raise RuntimeError("the listener failed after storing")
            ack(text="paused", response_type="ephemeral")

        app.command("/probe")(in_request_session(pause_then_maybe_fail))
        yield probe
    worker.shutdown()


def test_a_listener_that_raises_stores_nothing(probed: Probed) -> None:
    failed = probed.slack.command("fail", name="/probe")
    assert failed.status == 200
    assert failed.json["text"] == "Something went wrong (RuntimeError); it has been logged."
    assert probed.paused() is False
    assert probed.state_changes() == 0


def test_a_listener_that_returns_is_committed_and_the_quick_answers_see_it(
    probed: Probed,
) -> None:
    before = probed.slack.command("status")  # computed now, then served from memory
    assert "PAUSED" not in before.json["blocks"][0]["text"]["text"]

    assert probed.slack.command("", name="/probe").json["text"] == "paused"
    assert probed.paused() is True
    assert probed.state_changes() == 1
    # Its commit wrote, so the cached answers were dropped: the status says so at once.
    after = probed.slack.command("status")
    assert after.json["blocks"][0]["text"]["text"].endswith("PAUSED")


def test_the_session_is_of_no_use_once_its_request_is_over(probed: Probed) -> None:
    probed.slack.command("", name="/probe")
    probed.slack.command("fail", name="/probe")
    first, second = probed.handed
    assert first is not second  # one session per request
    for kept in (first, second):
        with pytest.raises(InvalidRequestError, match="permanently closed"):
            get_state(kept)


def test_a_refused_live_run_keeps_its_record_and_takes_no_lease(bot: RunningBot) -> None:
    with unit_of_work(bot.sessions) as session:
        set_dry_run(session, dry_run=False, by=APPROVER)
    reply = bot.slack.command("run", user=OUTSIDER)
    assert reply.json["text"] == "Only approvers may run a live cycle."
    with unit_of_work(bot.sessions) as session:
        refused = session.scalars(select(Event).where(Event.name == CommandRefused.name)).one()
        assert refused.details == {"by": OUTSIDER, "action": "run a live cycle"}
        assert session.scalars(select(JobLease)).all() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_write_lock_is_held_while_slack_opens_the_modal(
    start_bot: Callable[..., RunningBot],
    plain_smtp_server: SmtpServer,
    tmp_path: Path,
    db_url: str,
) -> None:
    # Reading the form began a transaction, and on SQLite every one takes the write lock.
    team = team_bot(start_bot, plain_smtp_server, tmp_path)
    card = post_reply_card(team)
    slack_answers = threading.Event()
    team.fake_slack.fail("views.open", 200, accept=True, hold=slack_answers)
    clicking = threading.Thread(target=open_modal, args=(team, card, MAYA))
    clicking.start()
    try:
        team.fake_slack.wait_for("views.open")  # the listener waits on Slack now
        with closing(sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0)) as other:
            other.isolation_level = None
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the request held it
            other.execute("ROLLBACK")
    finally:
        slack_answers.set()
        clicking.join(timeout=60)
    assert team.fake_slack.of("views.open")
