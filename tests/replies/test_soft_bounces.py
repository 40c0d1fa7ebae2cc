"""Full mailboxes and blocks are not dead addresses: counted, suppressed at the third in a row.

Delivery reports in a real IMAP box, read by the replies phase into both databases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from cam.core.db import SessionFactory
from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    Suppression,
)
from tests.gateways.imap_server import ImapServer
from tests.replies.test_bounce_phase import NOW, read_replies

NEXT_STEP = NOW + timedelta(days=3)
FULL = "552 5.2.2 Mailbox full"
LEADS = (
    "full@northwind.example",
    "gone@contoso.example",
    "back@fabrikam.example",
    "twice@umbrella.example",
    "spam@initech.example",
)


def _message_id(lead: int, step: int) -> str:
    return f"<cam.{lead}.{step}@acme.example>"


def _sent(step: int) -> datetime:
    return NOW - timedelta(days=10 - 3 * step)


def _seed(sessions: SessionFactory) -> None:
    with sessions.begin() as session:
        campaign = Campaign(key="soft", name="Soft bounces")
        campaign.steps = [CampaignStep(position=p, channel=Channel.email) for p in (1, 2, 3, 4)]
        session.add(campaign)
        session.flush()
        for n, email in enumerate(LEADS):
            lead = Lead(
                email=email,
                domain=email.split("@")[1],
                status=LeadStatus.contacted,
                campaign_id=campaign.id,
                steps_planned=4,
                next_step_at=NEXT_STEP,
            )
            session.add(lead)
            session.flush()
            session.add_all(
                OutreachMessage(
                    lead_id=lead.id,
                    campaign_id=campaign.id,
                    step=step,
                    channel=Channel.email,
                    scheduled_at=_sent(step),
                    status=OutreachStatus.sent,
                    message_id=_message_id(n, step),
                    sent_at=_sent(step),
                )
                for step in (1, 2, 3)
            )


def _report(lead: int, step: int, status: str, diagnostic: str, copy: int = 0) -> bytes:
    """A delivery report on our message `step` to lead number `lead`, sent an hour after it."""
    email = LEADS[lead]
    when = _sent(step) + timedelta(hours=1 + copy)
    text = (
        "From: Mail Delivery System <postmaster@relay.example>\nTo: ana@acme.example\n"
        f"Subject: Delivery report\nMessage-ID: <dsn.{lead}.{step}.{copy}@relay.example>\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\n"
        f"Final-Recipient: rfc822; {email}\nAction: failed\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n\n"
        "--B\nContent-Type: text/rfc822-headers\n\nFrom: ana@acme.example\n"
        f"To: {email}\nMessage-ID: {_message_id(lead, step)}\n\n--B--\n"
    )
    return text.replace("\n", "\r\n").encode()


def _answer(lead: int, step: int) -> bytes:
    """The person answers our message `step`: it reached them."""
    when = _sent(step) + timedelta(hours=5)
    text = (
        f"From: {LEADS[lead]}\nTo: ana@acme.example\nSubject: Re: Shipping\n"
        f"Message-ID: <answer.{lead}@fabrikam.example>\nIn-Reply-To: {_message_id(lead, step)}\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\n\n"
        "Thanks, this looks useful. Could you send a few slots for a call next week?\n"
    )
    return text.replace("\n", "\r\n").encode()


def _read(sessions: SessionFactory, server: ImapServer) -> None:
    assert read_replies(sessions, server).errors == []


def _state(sessions: SessionFactory) -> tuple[dict[str, Lead], dict[str, Suppression]]:
    with sessions() as session:
        leads = {lead.email: lead for lead in session.scalars(select(Lead))}
        suppressed = {s.value: s for s in session.scalars(select(Suppression))}
    return leads, suppressed


def test_a_full_mailbox_suppresses_at_the_third_bounce_in_a_row(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    _seed(sessions)
    imap_server.append_many(
        [
            _report(0, 1, "5.2.2", FULL),
            _report(0, 2, "5.2.2", FULL),
            _report(1, 1, "5.1.1", "550 5.1.1 User unknown"),
            # Two full mailboxes, then the person answers: the row starts again.
            _report(2, 1, "5.2.2", FULL),
            _report(2, 2, "5.2.2", FULL),
            _answer(2, 2),
            _report(2, 3, "5.2.2", FULL),
            # Three notices, but about two of our messages.
            _report(3, 1, "5.2.2", FULL),
            _report(3, 1, "5.2.2", FULL, copy=1),
            _report(3, 2, "5.2.2", FULL),
            # A spam filter's refusal is not a dead address either.
            _report(4, 1, "5.7.1", "554 5.7.1 Message rejected as spam by content filter"),
        ]
    )
    _read(sessions, imap_server)

    leads, suppressed = _state(sessions)
    assert set(suppressed) == {"gone@contoso.example"}
    assert leads["gone@contoso.example"].status is LeadStatus.bounced
    for email in ("full@northwind.example", "twice@umbrella.example", "spam@initech.example"):
        assert leads[email].status is LeadStatus.contacted, email
        assert leads[email].next_step_at == NEXT_STEP, email
    assert leads["back@fabrikam.example"].status is LeadStatus.hot
    with sessions() as session:
        stored = session.execute(
            select(Reply.classification, Reply.bounce_reason).where(
                Reply.lead_id == leads["full@northwind.example"].id
            )
        ).all()
    # Stored as bounces, with why: the digest and `cam replies bounces` count them.
    assert stored == [(ReplyClass.bounce, "mailbox_full")] * 2

    imap_server.append(_report(0, 3, "5.2.2", FULL))
    _read(sessions, imap_server)

    leads, suppressed = _state(sessions)
    assert set(suppressed) == {"gone@contoso.example", "full@northwind.example"}
    assert leads["full@northwind.example"].status is LeadStatus.bounced
    evidence = suppressed["full@northwind.example"].evidence
    assert evidence.startswith("3 bounces in a row (mailbox_full, mailbox_full, mailbox_full;")
    assert "our message <cam.0.3@acme.example> returned" in evidence
    assert leads["back@fabrikam.example"].status is LeadStatus.hot
