"""Speed to lead on seeded times: medians and p90 per stage and per mailbox, a day that is 25
hours long (Europe/Berlin, 25 October 2026), and working hours across a weekend and DST."""

from __future__ import annotations

import imaplib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cam.core.config import CAMCycleConfig, SendWindow
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Answer,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    NotificationTopic,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    TriageChoice,
)
from cam.core.notices import ReplyCardPayload, notice
from cam.core.safety import team_day_bounds
from cam.gateways.factory import sent_folders
from cam.replies import answering, sent_folder, speed
from tests.gateways.imap_server import ImapServer

BERLIN = "Europe/Berlin"
# The clocks go back at 03:00 local: the team's day runs 22:00 UTC on the 24th to 23:00 UTC.
DST_DAY = date(2026, 10, 25)


def _reply(
    session: object,
    lead: Lead,
    landed: datetime,
    *,
    card: float | None,
    answer: float | None,
    kind: ReplyClass = ReplyClass.question,
    carded: bool = True,
) -> Reply:
    """A reply landed at `landed`, its card and answer that many minutes later."""
    minutes = timedelta(minutes=1)
    reply = Reply(
        lead_id=lead.id,
        from_address=lead.email,
        classification=kind,
        received_at=landed,
        landed_at=landed,
        card_posted_at=landed + card * minutes if card is not None else None,
        answered_at=landed + answer * minutes if answer is not None else None,
    )
    session.add(reply)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    if carded:
        payload = ReplyCardPayload(reply_id=reply.id, lead_id=lead.id)
        session.add(notice(NotificationTopic.reply_card, payload))  # type: ignore[attr-defined]
    return reply


def test_medians_and_p90_per_stage_and_mailbox_on_a_25_hour_day(sessions: SessionFactory) -> None:
    start, end = team_day_bounds(DST_DAY, BERLIN)
    assert end - start == timedelta(hours=25)
    with unit_of_work(sessions) as session:
        maya = Lead(email="a@x.example", first_name="Ann", mailbox="maya")
        jonas = Lead(email="b@y.example", first_name="Ben", mailbox="jonas")
        session.add_all([maya, jonas])
        session.flush()
        # 23:30 local on the 25th is 22:30 UTC: inside the long day; 23:30 UTC is the next.
        first = _reply(session, maya, datetime(2026, 10, 25, 22, 30, tzinfo=UTC), card=1, answer=10)
        _reply(session, maya, start + timedelta(minutes=5), card=2, answer=30)
        _reply(session, maya, start + timedelta(hours=2, minutes=30), card=3, answer=None)
        _reply(session, jonas, start + timedelta(hours=12), card=4, answer=120)
        _reply(session, jonas, datetime(2026, 10, 25, 23, 30, tzinfo=UTC), card=1, answer=1)
        # An auto-reply without a card is no human reply: not counted.
        _reply(session, jonas, start + timedelta(hours=1), card=None, answer=None, carded=False)
        # Nor an absence with a card, answered (on purpose) when the person was back.
        away = ReplyClass.out_of_office
        _reply(session, jonas, start + timedelta(hours=1), card=1, answer=4 * 24 * 60, kind=away)
        session.add(
            ReplyLabel(
                reply_id=first.id,
                choice=TriageChoice.interested,
                predicted=ReplyClass.question,
                label=ReplyClass.interested,
                decided_by="U1",
                decided_at=first.landed_at + timedelta(minutes=20),  # type: ignore[operator]
            )
        )
        session.add(
            Approval(
                kind=ApprovalKind.escalate_lead,
                status=ApprovalStatus.approved,
                lead_id=maya.id,
                reply_id=first.id,
                decided_by="U2",
                decided_at=first.landed_at + timedelta(minutes=5),  # type: ignore[operator]
            )
        )
    with unit_of_work(sessions) as session:
        result = speed.speed_to_lead(session, start, end)
    assert result.replies == 4
    card = result.team["card"]
    assert (card.count, card.median_seconds) == (4, 150.0)
    assert card.p90_seconds == pytest.approx(3.7 * 60)
    answer = result.team["answer"]
    assert (answer.count, answer.median_seconds) == (3, 30 * 60.0)
    assert answer.p90_seconds == pytest.approx((30 + 0.8 * 90) * 60)
    # The first decision is the earliest: the approval 5 minutes in, not the label at 20.
    assert result.team["decision"].model_dump() == {
        "count": 1,
        "median_seconds": 300.0,
        "p90_seconds": 300.0,
    }
    assert set(result.by_mailbox) == {"maya", "jonas"}
    assert result.by_mailbox["maya"]["answer"].median_seconds == 20 * 60.0
    assert result.by_mailbox["jonas"]["card"].count == 1


def test_working_hours_skip_the_night_the_weekend_and_follow_dst() -> None:
    window = SendWindow()  # 09:00-17:00, Monday to Friday
    friday_four = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)  # 16:00 in Berlin (UTC+2)
    # One hour on Friday, one on Monday from 09:00, now UTC+1: 09:00 UTC.
    due = speed.add_working_hours(friday_four, 2, BERLIN, window)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    sunday_night = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert speed.add_working_hours(sunday_night, 2, BERLIN, window) == datetime(
        2026, 10, 26, 10, 0, tzinfo=UTC
    )


def test_unanswered_interested_replies_past_their_deadline_once_reminded(
    sessions: SessionFactory,
) -> None:
    landed = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
    config = CAMCycleConfig(timezone=BERLIN)
    with unit_of_work(sessions) as session:
        lead = Lead(email="a@x.example", first_name="Ann", timezone=BERLIN, mailbox="maya")
        other = Lead(email="b@x.example", first_name="Ben", timezone=BERLIN)
        session.add_all([lead, other])
        session.flush()
        hot = _reply(session, lead, landed, card=1, answer=None, kind=ReplyClass.interested)
        _reply(session, other, landed, card=1, answer=5, kind=ReplyClass.interested)
        _reply(session, other, landed, card=1, answer=None, kind=ReplyClass.question)
    with unit_of_work(sessions) as session:
        early = landed + timedelta(hours=1, minutes=59)
        assert speed.unanswered(session, config, early, 2) == []
        [waiting] = speed.unanswered(session, config, landed + timedelta(hours=2), 2)
        assert (waiting.reply_id, waiting.mailbox, waiting.lead_name) == (hot.id, "maya", "Ann")
        assert speed.take_reminder(session, hot.id, landed + timedelta(hours=2))
        assert not speed.take_reminder(session, hot.id, landed + timedelta(hours=3))
        later = landed + timedelta(hours=3)
        assert speed.unanswered(session, config, later, 2, not_reminded=True) == []
        assert len(speed.unanswered(session, config, later, 2)) == 1


def test_an_answer_sent_from_a_mail_app_is_seen_in_the_sent_folder(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    landed = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        lead = Lead(email="a@x.example", first_name="Ann")
        session.add(lead)
        session.flush()
        reply = _reply(session, lead, landed, card=1, answer=None, kind=ReplyClass.interested)
        reply.message_id = "<hot.1@x.example>"
        reply_id = reply.id
    imap_server.create("Sent")
    answered = landed + timedelta(minutes=42)
    sent = (
        b"From: maya@acme.example\r\nTo: a@x.example\r\nSubject: Re: hello\r\n"
        b"Message-ID: <ans.1@acme.example>\r\nIn-Reply-To: <hot.1@x.example>\r\n"
        b"Date: Mon, 26 Oct 2026 08:42:00 +0000\r\n\r\nTuesday works.\r\n"
    )
    conn = imap_server.client()
    try:
        status, _ = conn.append('"Sent"', "", imaplib.Time2Internaldate(answered), sent)
        assert status == "OK"
    finally:
        conn.logout()
    [reader] = sent_folders(imap_server.settings(CAM_IMAP_SENT_FOLDER="Sent"), [])
    assert sent_folder.read_sent(sessions, reader) == 1
    assert sent_folder.read_sent(sessions, reader) == 0  # read past it
    with unit_of_work(sessions) as session:
        assert session.get_one(Reply, reply_id).answered_at == answered
        start, end = landed - timedelta(hours=1), landed + timedelta(hours=1)
        assert speed.speed_to_lead(session, start, end).team["answer"].median_seconds == 2520


def test_an_answer_left_sending_by_a_dead_process_becomes_unknown(sessions: SessionFactory) -> None:
    claimed = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        lead = Lead(email="a@x.example", first_name="Ann")
        session.add(lead)
        session.flush()
        reply = _reply(session, lead, claimed, card=1, answer=None)
        for key, status in (("V1", OutreachStatus.sending), ("V2", OutreachStatus.sent)):
            session.add(
                Answer(
                    request_key=key,
                    reply_id=reply.id,
                    lead_id=lead.id,
                    mailbox="default",
                    to_address=lead.email,
                    status=status,
                    message_id=f"<{key}@acme.example>",
                    answered_by="U1",
                    claimed_by="one",
                    created_at=claimed,
                )
            )
    with unit_of_work(sessions) as session:
        assert answering.expire_stale(session, claimed) == 0
        assert answering.expire_stale(session, claimed + timedelta(seconds=1)) == 1
        statuses = session.scalars(select(Answer.status).order_by(Answer.request_key)).all()
        assert statuses == [OutreachStatus.unknown, OutreachStatus.sent]
