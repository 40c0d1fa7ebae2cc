"""The mail server misbehaves: temporary refusals, a link dropped mid-batch, a server down.

Whatever happens, a row is `sent` only if the server accepted its message; a temporary
refusal comes back later on a doubling backoff with its quota given back; an ambiguous drop
becomes `unknown` and is never sent again; a server that cannot be reached leaves every
claim as it was, and the next pass sends everything once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from cam.core.db import SessionFactory
from cam.core.models import Lead, OutreachMessage, OutreachStatus, SendQuota
from cam.core.report import CAMCycleReport
from cam.core.settings import Settings
from cam.cycle import run_send_pass
from cam.gateways.factory import build_gateways
from cam.outreach.send_outcomes import MAX_ATTEMPTS, RETRY_BACKOFF
from tests.faults.outbox import BASE, Caps, deliveries, live_config, seed_outbox
from tests.gateways.smtp_server import (
    SmtpServer,
    free_port,
    sender_settings,
)

CAPS = Caps(daily=20, per_domain=20)


def send_pass(settings: Settings, sessions: SessionFactory, at: datetime) -> CAMCycleReport:
    return run_send_pass(
        live_config(CAPS, settings),
        session_factory=sessions,
        gateways=build_gateways(settings, []),
        clock=lambda: at,
    )


def rows_by_email(sessions: SessionFactory) -> dict[str, OutreachMessage]:
    with sessions() as session:
        found = session.execute(select(Lead.email, OutreachMessage).join(Lead)).all()
    return {email: row for email, row in found}


def used(sessions: SessionFactory, scope: str = "live:email") -> int:
    with sessions() as session:
        return sum(session.scalars(select(SendQuota.used).where(SendQuota.scope == scope)))


def test_temporary_refusal_backs_off_and_gives_the_quota_back(
    engine: Engine, sessions: SessionFactory, plain_smtp_server: SmtpServer
) -> None:
    seed_outbox(engine, {"busy.example": 1, "fine.example": 2})
    busy = "lead0@busy.example"
    plain_smtp_server.handler.data_replies[busy] = "451 4.3.0 mailbox busy, try again later"
    settings = plain_smtp_server.settings()

    now = BASE
    first = send_pass(settings, sessions, now)
    assert first.outreach_sent == 2
    assert first.skipped_by_limits == {"email_retry_later": 1}
    row = rows_by_email(sessions)[busy]
    assert row.status is OutreachStatus.planned
    assert row.message_id is None and row.claimed_by is None
    assert row.scheduled_at == now + RETRY_BACKOFF.delta(1) == now + timedelta(minutes=15)
    assert used(sessions) == 2
    assert used(sessions, "live:domain:busy.example") == 0

    # Not due before its backoff has passed; each refusal doubles the wait.
    assert send_pass(settings, sessions, now + RETRY_BACKOFF.delta(1) / 2).skipped_by_limits == {}
    for attempt in range(2, MAX_ATTEMPTS):
        now = rows_by_email(sessions)[busy].scheduled_at
        send_pass(settings, sessions, now)
        row = rows_by_email(sessions)[busy]
        assert row.attempts == attempt
        assert row.status is OutreachStatus.planned
        assert row.scheduled_at == now + timedelta(minutes=15) * 2 ** (attempt - 1)

    # The server is willing again: the message goes out, once.
    del plain_smtp_server.handler.data_replies[busy]
    done = send_pass(settings, sessions, rows_by_email(sessions)[busy].scheduled_at)
    assert done.outreach_sent == 1
    assert rows_by_email(sessions)[busy].status is OutreachStatus.sent
    assert deliveries(plain_smtp_server.handler.messages)[busy] == 1
    assert used(sessions) == 3


def test_a_message_refused_every_time_fails_after_the_last_attempt(
    engine: Engine, sessions: SessionFactory, plain_smtp_server: SmtpServer
) -> None:
    seed_outbox(engine, {"busy.example": 1})
    busy = "lead0@busy.example"
    plain_smtp_server.handler.rcpt_replies[busy] = "450 4.2.1 mailbox temporarily unavailable"
    settings = plain_smtp_server.settings()
    now = BASE
    for _ in range(MAX_ATTEMPTS):
        send_pass(settings, sessions, now)
        now = rows_by_email(sessions)[busy].scheduled_at
    row = rows_by_email(sessions)[busy]
    assert row.status is OutreachStatus.failed
    assert row.attempts == MAX_ATTEMPTS
    assert row.reason is not None and "450" in row.reason
    assert plain_smtp_server.handler.messages == []
    assert used(sessions) == 0


def test_link_dropped_after_a_message_makes_it_unknown_never_resent(
    engine: Engine, sessions: SessionFactory, plain_smtp_server: SmtpServer
) -> None:
    emails = seed_outbox(engine, {"drop.example": 4})
    dropped = emails[1]
    plain_smtp_server.handler.drop_after_data.add(dropped)
    settings = plain_smtp_server.settings()

    broken = send_pass(settings, sessions, BASE)
    # The first went out; the second was taken by the server but never acknowledged.
    assert broken.outreach_sent == 1
    assert broken.unknown_outcomes == 1
    assert [e.item for e in broken.errors] == [dropped]
    rows = rows_by_email(sessions)
    assert rows[emails[0]].status is OutreachStatus.sent
    assert rows[dropped].status is OutreachStatus.unknown
    # The batch stopped there: the rest wait, unclaimed, for the next pass.
    assert [rows[e].status for e in emails[2:]] == [OutreachStatus.planned] * 2
    assert all(rows[e].claimed_by is None for e in emails[2:])

    plain_smtp_server.handler.drop_after_data.clear()
    again = send_pass(settings, sessions, BASE + timedelta(minutes=5))
    assert again.outreach_sent == 2
    assert again.errors == []
    assert deliveries(plain_smtp_server.handler.messages) == {email: 1 for email in emails}
    assert rows_by_email(sessions)[dropped].status is OutreachStatus.unknown


def test_server_down_leaves_every_claim_unsent_and_the_next_pass_sends_once(
    engine: Engine, sessions: SessionFactory, plain_smtp_server: SmtpServer
) -> None:
    emails = seed_outbox(engine, {"down.example": 3})
    nobody = sender_settings(
        smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_timeout=2.0
    )

    down = send_pass(nobody, sessions, BASE)
    assert down.outreach_sent == 0
    assert len(down.errors) == 1
    assert "cannot connect" in down.errors[0].message
    rows = rows_by_email(sessions)
    assert {rows[e].status for e in emails} == {OutreachStatus.planned}
    assert all(rows[e].message_id is None and rows[e].claimed_at is None for e in emails)
    assert used(sessions) == 0

    # Up again (here: the same settings, pointed at a server that listens).
    back = send_pass(plain_smtp_server.settings(), sessions, BASE + timedelta(minutes=5))
    assert back.errors == []
    assert back.outreach_sent == 3
    assert deliveries(plain_smtp_server.handler.messages) == {email: 1 for email in emails}
    assert used(sessions) == 3
