"""Forged and genuine delivery reports through a real IMAP box, into both databases: a report
suppresses only recipients we really mailed from that mailbox, and the ledger shows why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cam.core.db import SessionFactory
from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Event,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    Suppression,
    SuppressionSource,
)
from cam.replies.event_payloads import BounceUnverified
from tests.gateways.imap_server import ImapServer
from tests.replies.test_bounce_phase import NOW, read_replies

FORGED = [f"prospect{n}@target{n}.example" for n in range(50)]
MAILED = ["ann@alpha.example", "ben@beta.example", "cleo@gamma.example"]


def _message_id(email: str) -> str:
    return f"<cam.{email.replace('@', '.')}.1@acme.example>"


def _report(recipients: list[str], *, cites: str | None, sender: str) -> bytes:
    """One multipart/report naming each recipient as failed 5.1.1, quoting `cites` if given."""
    blocks = "".join(
        f"Final-Recipient: rfc822; {email}\nAction: failed\nStatus: 5.1.1\n\n"
        for email in recipients
    )
    returned = (
        f"--B\nContent-Type: text/rfc822-headers\n\nFrom: ana@acme.example\nMessage-ID: {cites}\n\n"
        if cites
        else ""
    )
    text = (
        f"From: {sender}\nTo: ana@acme.example\nSubject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: <report.{len(recipients)}.{cites is not None}@relay.example>\n"
        "Date: Tue, 24 Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nThese addresses do not exist.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\n"
        f"{blocks}{returned}--B--\n"
    )
    return text.replace("\n", "\r\n").encode()


def _seed(
    sessions: SessionFactory, *, mailed_days_ago: int = 3, mailbox: str | None = None
) -> None:
    """Every address a contacted lead; only MAILED were sent a message (`mailed_days_ago`),
    from `mailbox` (None: the single, default one)."""
    with sessions.begin() as session:
        campaign = Campaign(key="evidence", name="Evidence")
        campaign.steps = [CampaignStep(position=1, channel=Channel.email, delay_days=0)]
        session.add(campaign)
        session.flush()
        for email in [*FORGED, *MAILED]:
            lead = Lead(
                email=email,
                domain=email.split("@")[1],
                status=LeadStatus.contacted,
                campaign_id=campaign.id,
                steps_planned=1,
                mailbox=mailbox,
            )
            session.add(lead)
            session.flush()
            if email in MAILED:
                sent = NOW - timedelta(days=mailed_days_ago)
                session.add(
                    OutreachMessage(
                        lead_id=lead.id,
                        campaign_id=campaign.id,
                        step=1,
                        channel=Channel.email,
                        scheduled_at=sent,
                        status=OutreachStatus.sent,
                        message_id=_message_id(email),
                        sent_at=sent,
                    )
                )


def _suppressed(sessions: SessionFactory) -> dict[str, Suppression]:
    with sessions() as session:
        return {row.value: row for row in session.scalars(select(Suppression))}


def _bounced(sessions: SessionFactory) -> set[str]:
    with sessions() as session:
        query = select(Lead.email).where(Lead.status == LeadStatus.bounced)
        return set(session.scalars(query))


def test_a_forged_report_naming_fifty_leads_suppresses_nobody(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    _seed(sessions)
    imap_server.append(_report(FORGED, cites=None, sender="MAILER-DAEMON@attacker.example"))

    report = read_replies(sessions, imap_server)

    assert (report.errors, report.replies_detected, report.unverified_notices) == ([], 1, 1)
    assert _suppressed(sessions) == {}
    assert _bounced(sessions) == set()
    with sessions() as session:
        stored = session.scalars(select(Reply)).one()
        [event] = session.scalars(select(Event).where(Event.name == BounceUnverified.name)).all()
    assert (stored.classification, stored.lead_id) == (ReplyClass.other, None)
    why = stored.matched_rule or ""
    assert why.startswith("unverified notice, nobody suppressed: prospect0@target0.example")
    assert (
        "nothing sent to it from default in the 90 days before the notice" in why
        and "and 47 more" in why
    )
    assert event.details["from"] == "MAILER-DAEMON@attacker.example"


def test_the_same_report_for_three_addresses_we_mailed_suppresses_exactly_them(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    _seed(sessions)
    cited = _message_id(MAILED[0])
    named = [*MAILED, *FORGED[:5]]
    imap_server.append(_report(named, cites=cited, sender="MAILER-DAEMON@relay.example"))

    report = read_replies(sessions, imap_server)

    assert (report.errors, report.unverified_notices) == ([], 0)
    suppressed = _suppressed(sessions)
    assert set(suppressed) == set(MAILED)
    assert _bounced(sessions) == set(MAILED)
    with sessions() as session:
        reply_id = session.scalars(select(Reply.id)).one()
    for email, row in suppressed.items():
        assert (row.source, row.reply_id) == (SuppressionSource.bounce, reply_id)
        assert "status 5.1.1" in row.evidence
    # The message the report quotes is the strongest evidence; the others cite it and were
    # sent from this mailbox.
    assert suppressed[MAILED[0]].evidence == f"our message {cited} returned, status 5.1.1"
    assert f"cites our message {cited}" in suppressed[MAILED[1]].evidence
    assert _message_id(MAILED[1]) in suppressed[MAILED[1]].evidence


def test_a_report_long_after_our_message_is_not_believed(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    _seed(sessions, mailed_days_ago=120)
    cited = _message_id(MAILED[0])
    imap_server.append(_report(MAILED, cites=cited, sender="MAILER-DAEMON@relay.example"))

    report = read_replies(sessions, imap_server)

    assert report.unverified_notices == 1
    assert _suppressed(sessions) == {}


def test_a_report_without_our_message_id_is_believed_for_what_we_sent_from_here(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    """Weaker, still accepted: the notice came back to the mailbox that sent, naming the
    recipient in a delivery-status block."""
    _seed(sessions)
    imap_server.append(_report(MAILED[:1], cites=None, sender="MAILER-DAEMON@relay.example"))

    read_replies(sessions, imap_server)

    [row] = _suppressed(sessions).values()
    assert row.value == MAILED[0]
    assert row.evidence.startswith(f"came back to default after {_message_id(MAILED[0])}")
    assert row.evidence.endswith("delivery-status status 5.1.1")


def test_a_report_that_landed_before_we_wrote_is_not_believed(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    """The notice was in the mailbox two days before our message went out: not about it."""
    _seed(sessions, mailed_days_ago=3)
    report_ = _report(MAILED[:1], cites=None, sender="MAILER-DAEMON@relay.example")
    imap_server.append(report_, landed=NOW - timedelta(days=5))

    report = read_replies(sessions, imap_server)

    assert report.unverified_notices == 1
    assert _suppressed(sessions) == {}


def test_a_report_reaching_another_mailbox_than_the_sender_is_not_believed(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    """Maya's mailbox sent the messages; a report naming them arrives at the default one."""
    _seed(sessions, mailbox="maya")
    imap_server.append(_report(MAILED, cites=None, sender="MAILER-DAEMON@relay.example"))

    report = read_replies(sessions, imap_server)

    assert report.unverified_notices == 1
    assert _suppressed(sessions) == {}
