"""Answers for when a prospect is back, in the engine: when they are due, which absences get a
card, a full hour, and a claim whose process died. Both databases; the clock is the test's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from cam.core import safety
from cam.core.config import ChannelLimitConfig, SendWindow
from cam.core.db import SessionFactory, unit_of_work
from cam.core.enums import AnswerEvent, SendMode
from cam.core.models import (
    Answer,
    Channel,
    Lead,
    Notification,
    NotificationTopic,
    OutreachStatus,
    Reply,
    ReplyClass,
    SendQuota,
)
from cam.core.state import get_state
from cam.outreach import sender_mailboxes
from cam.replies import answer_later, answering, due_answers
from cam.replies.answer_mail import AnswerRequest
from cam.replies.cards import StoredReply, queue_cards
from cam.replies.rules import Classification
from tests.outreach.helpers import RecordingEmailSender, config
from tests.outreach.helpers import safety as safety_settings
from tests.replies.prospects import add_prospect

WRITTEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ABSENT = Classification(
    ReplyClass.out_of_office, "header Auto-Submitted", return_date=date(2026, 12, 4), automated=True
)


def _lead(zone: str | None) -> Lead:
    return Lead(email="dana@northwind.example", timezone=zone)


@pytest.mark.parametrize(
    ("back", "zone", "due"),
    [
        # Back on Friday: Monday, 09:00 in Berlin.
        (date(2026, 12, 4), "Europe/Berlin", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
        # Back on Saturday: still Monday; the lead's zone, not the team's.
        (date(2026, 12, 5), "Asia/Tokyo", datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        # Back on Monday: Tuesday.
        (date(2026, 12, 7), "Europe/Berlin", datetime(2026, 12, 8, 8, 0, tzinfo=UTC)),
        # A lead without a zone (or one no one knows) is counted in the team's.
        (date(2026, 12, 4), None, datetime(2026, 12, 7, 14, 0, tzinfo=UTC)),
        (date(2026, 12, 4), "Mars/Olympus", datetime(2026, 12, 7, 14, 0, tzinfo=UTC)),
        # Europe springs forward on Sunday 28 March 2027: Monday 09:00 is 07:00 UTC.
        (date(2027, 3, 26), "Europe/Berlin", datetime(2027, 3, 29, 7, 0, tzinfo=UTC)),
    ],
)
def test_due_at_the_first_slot_of_the_working_day_after_the_return(
    back: date, zone: str | None, due: datetime
) -> None:
    team = config(timezone="America/New_York")
    when, counted_in = answer_later.when_back(team, _lead(zone), back, "default", WRITTEN)
    assert when == due
    assert counted_in == safety.zone(zone, "America/New_York").key


def test_a_week_from_sunday_to_thursday_and_a_return_already_past() -> None:
    week = SendWindow(start=time(8, 30), end=time(16, 0), weekdays=frozenset({6, 0, 1, 2, 3}))
    team = config(timezone="Asia/Jerusalem", safety_settings=safety_settings(send_window=week))
    # Back on Thursday 3 December: Sunday the 6th, 08:30 in Jerusalem.
    when, _ = answer_later.when_back(team, _lead(None), date(2026, 12, 3), "default", WRITTEN)
    assert when == datetime(2026, 12, 6, 6, 30, tzinfo=UTC)
    # Back before the answer is written: it goes at the next slot, at once if one is open.
    now = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    when, _ = answer_later.when_back(team, _lead(None), date(2026, 12, 1), "default", now)
    assert when == now


def _conversation(
    sessions: SessionFactory, *, with_card: bool, email: str = "dana@northwind.example"
) -> tuple[int, int]:
    """A lead (with a first card, if `with_card`) and their absence notice, stored as the reply
    phase stores it; return the lead and the absence's ids."""
    with unit_of_work(sessions) as session:
        lead_id = add_prospect(session, email)
        session.get_one(Lead, lead_id).timezone = "Europe/Berlin"
        if with_card:
            said = Reply(lead_id=lead_id, from_address=email, subject="Re: Hi")
            session.add(said)
            session.flush()
            verdict = Classification(ReplyClass.interested, "phrase")
            queue_cards(session, [StoredReply(said.id, lead_id, verdict)], WRITTEN)
        absence = Reply(
            lead_id=lead_id,
            from_address=email,
            message_id=f"<ooo.{email}>",
            subject="Automatic reply: Re: Hi",
            classification=ReplyClass.out_of_office,
            return_date=ABSENT.return_date,
            received_at=WRITTEN,
        )
        session.add(absence)
        session.flush()
        queue_cards(session, [StoredReply(absence.id, lead_id, ABSENT)], WRITTEN)
        return lead_id, absence.id


def _cards(sessions: SessionFactory) -> list[Notification]:
    with unit_of_work(sessions) as session:
        rows = session.scalars(
            select(Notification).where(Notification.topic == NotificationTopic.reply_card)
        ).all()
        session.expunge_all()
        return list(rows)


def test_an_absence_gets_a_card_only_in_a_conversation(sessions: SessionFactory) -> None:
    _conversation(sessions, with_card=False, email="ruth@elsewhere.example")
    assert _cards(sessions) == []  # a cold lead's absence is only counted
    _lead_id, absence_id = _conversation(sessions, with_card=True)
    first, absence = _cards(sessions)
    assert absence.payload["reply_id"] == absence_id and absence.parent_id == first.id


def _schedule(sessions: SessionFactory, absence_id: int, *, hourly_cap: int | None = None):
    limits = ChannelLimitConfig(daily_cap=20, hourly_cap=hourly_cap)
    team = config(
        timezone="Europe/Berlin",
        safety_settings=safety_settings(channels={Channel.email: limits}),
    )
    with unit_of_work(sessions) as session:
        get_state(session).dry_run = False
    request = AnswerRequest(
        request_key="V1",
        reply_id=absence_id,
        mailbox="default",
        body="Welcome back.",
        by="U0MAYA001",
        instance="one",
        now=WRITTEN,
    )
    scheduled = answer_later.schedule(sessions, team, request)
    assert scheduled is not None and scheduled.due_at == datetime(2026, 12, 7, 8, tzinfo=UTC)
    return team, scheduled


def test_a_full_hour_at_due_time_leaves_it_for_the_next_hour(sessions: SessionFactory) -> None:
    _lead_id, absence_id = _conversation(sessions, with_card=True)
    team, scheduled = _schedule(sessions, absence_id, hourly_cap=1)
    due = scheduled.due_at + timedelta(minutes=5)
    with unit_of_work(sessions) as session:
        window = safety.hour_window(due, team.timezone)
        session.add(
            SendQuota(
                scope=sender_mailboxes.hour_scope(SendMode.live, "default"), window=window, used=1
            )
        )
    mail = RecordingEmailSender()
    send = {"config": team, "gateway_of": lambda _key: mail, "instance": "one"}
    assert due_answers.send_due(sessions, now=due, **send) == []
    with unit_of_work(sessions) as session:
        assert session.get_one(Answer, scheduled.answer_id).status is OutreachStatus.scheduled
    [answer] = due_answers.send_due(sessions, now=due + timedelta(hours=1), **send)
    assert answer.status is OutreachStatus.sent and len(mail.sent) == 1
    assert mail.sent[0].subject == "Re: Hi"  # the conversation's subject, not the notice's


def test_a_claim_whose_process_died_is_never_sent_again(sessions: SessionFactory) -> None:
    _lead_id, absence_id = _conversation(sessions, with_card=True)
    team, scheduled = _schedule(sessions, absence_id)
    due = scheduled.due_at + timedelta(seconds=30)
    with unit_of_work(sessions) as session:  # claimed at its time; the process died in SMTP
        answer = session.get_one(Answer, scheduled.answer_id)
        answer.status, answer.claimed_by, answer.claimed_at = OutreachStatus.sending, "one", due
    mail = RecordingEmailSender()
    send = {"config": team, "gateway_of": lambda _key: mail, "instance": "two"}
    assert due_answers.send_due(sessions, now=due, **send) == []
    with unit_of_work(sessions) as session:
        # Written six days before its claim: the claim's own time dates it, not the row's.
        assert answering.expire_stale(session, due - timedelta(minutes=10)) == 0
        assert answering.expire_stale(session, due + timedelta(minutes=10)) == 1
    assert due_answers.send_due(sessions, now=due + timedelta(hours=1), **send) == []
    assert mail.sent == []
    with unit_of_work(sessions) as session:
        assert session.get_one(Answer, scheduled.answer_id).status is OutreachStatus.unknown
        news = session.scalars(
            select(Notification).where(Notification.topic == NotificationTopic.scheduled_answer)
        ).all()
        assert [n.payload["event"] for n in news] == [AnswerEvent.scheduled.value]
