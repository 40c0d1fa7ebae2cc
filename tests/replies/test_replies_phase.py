"""Phase 4 end to end: the corpus in a real IMAP box, read into both databases, leads updated."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from sqlalchemy import func, select

from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.db import SessionFactory
from cam.core.models import (
    Event,
    Lead,
    LeadStatus,
    MailboxCursor,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    Suppression,
)
from cam.core.ports import Gateways, InboxReader
from cam.core.report import CAMCycleReport
from cam.gateways.imap import ImapInboxReader
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster
from cam.replies.actions import WORKDAYS, working_day_after
from cam.replies.event_payloads import RepliesDetected
from cam.replies.reading import detect_replies
from tests.gateways.imap_server import MAX_UID, PASSWORD, ImapServer, running_imap_server
from tests.replies.reply_corpus import EXPECTED, NOW, PLANNED_AT, Expected, raw, seed


def _context(sessions: SessionFactory, inbox: InboxReader, now: datetime = NOW) -> CycleContext:
    return CycleContext(
        config=CAMCycleConfig(timezone="Europe/Berlin"),
        session_factory=sessions,
        gateways=Gateways(
            email=NoopEmailSender(), inbox=inbox, social=NoopSocialPoster(), crm=NoopCrmSyncer()
        ),
        clock=lambda: now,
        rng=random.Random(1),
        report=CAMCycleReport(start=now),
    )


def _run(sessions: SessionFactory, server: ImapServer, **settings: str) -> CAMCycleReport:
    ctx = _context(sessions, ImapInboxReader(server.settings(**settings)))
    detect_replies(ctx)
    return ctx.report


@pytest.fixture
def corpus_box(sessions: SessionFactory, imap_server: ImapServer) -> ImapServer:
    """The corpus delivered to the IMAP box, and the leads and outreach it answers seeded."""
    with sessions.begin() as session:
        seed(session)
    imap_server.append_many(raw(expected.file) for expected in EXPECTED)
    return imap_server


def _lead(sessions: SessionFactory, email: str) -> Lead:
    with sessions() as session:
        return session.scalars(select(Lead).where(Lead.email == email)).one()


def _outreach(sessions: SessionFactory, lead: Lead) -> list[OutreachMessage]:
    with sessions() as session:
        query = select(OutreachMessage).where(OutreachMessage.lead_id == lead.id)
        return list(session.scalars(query.order_by(OutreachMessage.step)))


def _suppressed(sessions: SessionFactory) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Suppression.value)))


def test_each_corpus_reply_is_stored_classified_and_matched(
    sessions: SessionFactory, corpus_box: ImapServer
) -> None:
    report = _run(sessions, corpus_box)

    assert report.errors == []
    assert report.replies_detected == len(EXPECTED)
    # Dana (interested) and José (interested, in ISO-8859-1).
    assert report.hot_leads_detected == 2
    with sessions() as session:
        # In arrival order (a read stores replies to us before notices).
        stored = session.scalars(select(Reply))
        replies = sorted(stored, key=lambda r: int(str(r.mailbox_uid).rpartition(":")[2]))
        lead_of = {i: email for i, email in session.execute(select(Lead.id, Lead.email))}
        outreach_ids = {
            mid: i
            for mid, i in session.execute(select(OutreachMessage.message_id, OutreachMessage.id))
        }
    assert len(replies) == len(EXPECTED)
    for reply, expected in zip(replies, EXPECTED, strict=True):
        assert reply.classification is expected.kind, expected.file
        assert reply.matched_rule is not None and expected.rule in reply.matched_rule
        assert reply.lead_id is not None and lead_of[reply.lead_id] == expected.lead
        assert reply.return_date == expected.return_date
        if expected.message_ids and expected.file != "bounce_qmail_freetext.eml":
            # Matched by thread (the latest reference first), not merely by address.
            assert reply.outreach_id == outreach_ids[expected.message_ids[-1]], expected.file


def test_leads_follow_their_replies(sessions: SessionFactory, corpus_box: ImapServer) -> None:
    _run(sessions, corpus_box)
    by_kind: dict[ReplyClass, list[Expected]] = {}
    for expected in EXPECTED:
        by_kind.setdefault(expected.kind, []).append(expected)

    expected_status = {
        ReplyClass.interested: LeadStatus.hot,
        ReplyClass.not_interested: LeadStatus.replied,
        ReplyClass.question: LeadStatus.replied,
        ReplyClass.unsubscribe: LeadStatus.unsubscribed,
    }
    for kind, status in expected_status.items():
        for expected in by_kind[kind]:
            lead = _lead(sessions, expected.lead)
            assert lead.status is status, expected.file
            planned = _outreach(sessions, lead)[-1]
            assert planned.status is OutreachStatus.skipped, expected.file
            assert lead.next_step_at is None

    for expected in by_kind[ReplyClass.interested] + by_kind[ReplyClass.question]:
        assert _lead(sessions, expected.lead).replied_at == NOW

    # A person's "other" reply stops the sequence too; a delay warning changes nothing.
    priya = _lead(sessions, "priya.nair@initech.example")
    assert priya.status is LeadStatus.replied
    slow = _lead(sessions, "slow@vandelay.example")
    assert (slow.status, slow.replied_at) == (LeadStatus.contacted, None)
    assert _outreach(sessions, slow)[-1].status is OutreachStatus.planned

    suppressed = _suppressed(sessions)
    for expected in by_kind[ReplyClass.bounce]:
        lead = _lead(sessions, expected.lead)
        assert lead.status is LeadStatus.bounced, expected.file
        assert lead.status_reason is not None and lead.status_reason.startswith("hard bounce:")
        if "dsn" in expected.file:
            assert "5.1.1" in lead.status_reason
        assert _outreach(sessions, lead)[-1].status is OutreachStatus.skipped
        assert expected.lead in suppressed
    assert {"olga@tailspin.example", "ravi.patel@cyberdyne.example"} <= suppressed
    assert "slow@vandelay.example" not in suppressed
    assert len(suppressed) == 5


def test_out_of_office_postpones_without_stopping(
    sessions: SessionFactory, corpus_box: ImapServer
) -> None:
    _run(sessions, corpus_box)
    for expected in EXPECTED:
        if expected.kind is not ReplyClass.out_of_office or expected.return_date is None:
            continue
        lead = _lead(sessions, expected.lead)
        # Midnight of the working day after the return date in the team's zone (Europe/Berlin,
        # UTC+1 in December): the day they come back goes to their own inbox.
        after = working_day_after(expected.return_date, WORKDAYS)
        assert after > expected.return_date and after.weekday() < 5
        back = datetime.combine(after, datetime.min.time(), UTC) - timedelta(hours=1)
        assert lead.status is LeadStatus.contacted
        assert lead.replied_at is None
        assert lead.next_step_at == back
        planned = _outreach(sessions, lead)[-1]
        assert planned.status is OutreachStatus.planned
        # Same time of day as planned, on the working day after.
        assert planned.scheduled_at == PLANNED_AT.replace(month=after.month, day=after.day)
        assert planned.reason is not None and "out of office" in planned.reason


def test_a_notice_of_leaving_for_good_stops_the_sequence_and_names_the_successor(
    sessions: SessionFactory, corpus_box: ImapServer
) -> None:
    _run(sessions, corpus_box)
    lead = _lead(sessions, "helga.berg@wayne.example")
    # Not a person's answer: no reply status, but nothing more goes to an address nobody reads.
    assert (lead.status, lead.replied_at, lead.next_step_at) == (LeadStatus.contacted, None, None)
    planned = _outreach(sessions, lead)[-1]
    assert planned.status is OutreachStatus.skipped
    assert planned.reason is not None and "gone" in planned.reason
    with sessions() as session:
        reply = session.scalars(select(Reply).where(Reply.lead_id == lead.id)).one()
    assert reply.matched_rule is not None
    assert "gone for good; write to Jonas Keller <jonas.keller@wayne.example>" in reply.matched_rule
    assert (reply.referral_email, reply.referral_name) == (
        "jonas.keller@wayne.example",
        "Jonas Keller",
    )
    assert reply.explanation is not None and reply.explanation.startswith("gone for good: \u201c")


def test_a_bounce_is_stored_with_why_it_failed(
    sessions: SessionFactory, corpus_box: ImapServer
) -> None:
    _run(sessions, corpus_box)
    with sessions() as session:
        reasons = dict(
            session.execute(
                select(Reply.from_address, Reply.bounce_reason).where(
                    Reply.classification == ReplyClass.bounce
                )
            ).all()
        )
        people = session.scalars(
            select(Reply.bounce_reason).where(Reply.classification != ReplyClass.bounce)
        ).all()
    # Postfix's and Exchange's 5.1.1 reports and qmail's "no mailbox here": the user is unknown.
    assert set(reasons.values()) == {"user_unknown"}
    assert set(people) == {None}


def test_a_second_read_adds_nothing_and_the_cursor_moves(
    sessions: SessionFactory, corpus_box: ImapServer
) -> None:
    _run(sessions, corpus_box)
    with sessions() as session:
        [cursor] = session.scalars(select(MailboxCursor))
        first_uid = cursor.last_uid
    again = _run(sessions, corpus_box)
    assert (again.replies_detected, again.hot_leads_detected, again.errors) == (0, 0, [])

    corpus_box.append(
        b"From: stranger@elsewhere.example\r\nSubject: hello\r\nMessage-ID: <s1@elsewhere>\r\n"
        b"\r\nAre you hiring?\r\n"
    )
    third = _run(sessions, corpus_box)
    assert third.replies_detected == 1
    with sessions() as session:
        [cursor] = session.scalars(select(MailboxCursor))
        stranger = session.scalars(select(Reply).where(Reply.message_id == "<s1@elsewhere>")).one()
        detected = session.scalars(
            select(Event).where(Event.name == RepliesDetected.name).order_by(Event.id)
        ).all()
    assert cursor.last_uid > first_uid
    assert (stranger.lead_id, stranger.classification) == (None, ReplyClass.question)
    assert [e.details["replies"] for e in detected] == [len(EXPECTED), 0, 1]
    assert detected[0].details["by_class"]["bounce"] == 3
    assert detected[0].details["hot"] == 2


def test_a_new_uidvalidity_rereads_without_duplicates(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    with sessions.begin() as session:
        seed(session)
    imap_server.create("Replies")
    imap_server.append(raw("interested.eml"), folder="Replies")
    imap_server.append(raw("question.eml"), folder="Replies")
    assert _run(sessions, imap_server, CAM_IMAP_FOLDER="Replies").replies_detected == 2

    imap_server.recreate("Replies")
    for file in ("interested.eml", "question.eml", "not_interested.eml"):
        imap_server.append(raw(file), folder="Replies")
    report = _run(sessions, imap_server, CAM_IMAP_FOLDER="Replies")

    assert (report.replies_detected, report.hot_leads_detected, report.errors) == (1, 0, [])
    with sessions() as session:
        assert session.scalar(select(func.count(Reply.id))) == 3
        event = session.scalars(
            select(Event).where(Event.name == RepliesDetected.name).order_by(Event.id.desc())
        ).first()
    assert event is not None and event.details["uidvalidity_changed"] is True


def test_uids_and_uidvalidity_near_2_32_are_stored_and_resumed(
    sessions: SessionFactory, imap_ca: tuple[trustme.CA, Path]
) -> None:
    with sessions.begin() as session:
        seed(session)
    box = running_imap_server(*imap_ca, implicit_tls=False, first_uid=MAX_UID - 3)
    with box as server:
        server.append(raw("interested.eml"))
        server.append(raw("question.eml"))
        assert _run(sessions, server).replies_detected == 2
        with sessions() as session:
            [cursor] = session.scalars(select(MailboxCursor))
        assert (cursor.uidvalidity, cursor.last_uid) == (MAX_UID, MAX_UID - 2)

        server.append(raw("not_interested.eml"))
        assert _run(sessions, server).replies_detected == 1
        with sessions() as session:
            [cursor] = session.scalars(select(MailboxCursor))
            uids = set(session.scalars(select(Reply.mailbox_uid)))
    assert cursor.last_uid == MAX_UID - 1
    assert uids == {f"{MAX_UID}:{uid}" for uid in (MAX_UID - 3, MAX_UID - 2, MAX_UID - 1)}


def test_a_later_question_does_not_cool_a_hot_lead(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    with sessions.begin() as session:
        seed(session)
    imap_server.append(raw("interested.eml"))
    imap_server.append(
        b"From: dana.reyes@northwind.example\r\nSubject: Re: call\r\nMessage-ID: <d2@nw>\r\n"
        b"In-Reply-To: <cam.101.1@acme.example>\r\n\r\nWhat time suits you?\r\n"
    )
    report = _run(sessions, imap_server)
    assert (report.replies_detected, report.hot_leads_detected) == (2, 1)
    assert _lead(sessions, "dana.reyes@northwind.example").status is LeadStatus.hot


def test_our_own_outgoing_copy_is_not_a_reply(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    with sessions.begin() as session:
        seed(session)
    imap_server.append(
        b"From: ana@acme.example\r\nTo: dana.reyes@northwind.example\r\nSubject: Hello\r\n"
        b"Message-ID: <cam.101.1@acme.example>\r\n\r\nIf you're interested, let's talk.\r\n"
    )
    assert _run(sessions, imap_server).replies_detected == 0
    assert _lead(sessions, "dana.reyes@northwind.example").status is LeadStatus.contacted


def test_an_unreachable_inbox_is_a_report_error(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    imap_server.append(raw("interested.eml"))
    report = _run(sessions, imap_server, CAM_IMAP_PASSWORD="not-" + PASSWORD)
    assert report.replies_detected == 0
    [error] = report.errors
    assert error.phase == "replies" and "login" in error.message
    assert PASSWORD not in error.message
    with sessions() as session:
        assert session.scalar(select(func.count(Reply.id))) == 0
        [cursor] = session.scalars(select(MailboxCursor))
    assert (cursor.uidvalidity, cursor.last_uid) == (0, 0)


def test_without_an_inbox_the_phase_only_notes_it(sessions: SessionFactory) -> None:
    ctx = _context(sessions, NoopInboxReader())
    detect_replies(ctx)
    assert (ctx.report.replies_detected, ctx.report.errors) == (0, [])
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.name == RepliesDetected.name)).one()
    assert event.details == {"configured": False, "replies": 0}
