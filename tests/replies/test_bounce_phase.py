"""Bounces end to end: delivery reports in a real IMAP box, read by the replies phase into both
databases; exactly the bounced recipient we mailed is suppressed and its lead marked bounced."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
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
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport
from cam.gateways.imap import ImapInboxReader
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopSocialPoster
from cam.replies.reading import detect_replies
from tests.gateways.imap_server import ImapServer

BOUNCES = Path(__file__).parent / "corpus" / "bounces"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

# Lead address -> the Message-ID of the outreach we sent it (None: no outreach row to match).
LEADS = {
    "ada@northwind.example": "<cam.201.1@acme.example>",
    "bea@contoso.example": "<cam.202.1@acme.example>",
    "carl@fabrikam.example": "<cam.203.1@acme.example>",
    # dsn_09: Final-Recipient is X.400, Original-Recipient names it
    "userx@example.com": "<cam.204.1@acme.example>",
    # simple_27: from MDaemon with Precedence: bulk
    "userx@example.net.py": "<cam.205.1@acme.example>",
    "userx@example.fi": None,  # dsn_17: a delay warning
}


def _report(message_id: str, recipient_fields: str, returned: str) -> bytes:
    """A delivery report for one recipient that returns the headers of the message it bounces."""
    text = (
        "From: Mail Delivery System <postmaster@relay.example>\nTo: ana@acme.example\n"
        f"Subject: Delivery report\nMessage-ID: {message_id}\n"
        "Date: Tue, 24 Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\n"
        f"{recipient_fields}\nAction: failed\nStatus: 5.1.1\n\n"
        f"--B\nContent-Type: text/rfc822-headers\n\n{returned}\n\n--B--\n"
    )
    return text.replace("\n", "\r\n").encode()


# Our message to Ada, bounced by an X.400 gateway; its To: names Carl (a stale copy), but the
# Message-ID is ours and names Ada: the Message-ID wins.
X400_OURS = _report(
    "<dsn.1@relay.example>",
    "Final-Recipient: x400; /S=ada/O=northwind/C=US/",
    "From: ana@acme.example\nTo: carl@fabrikam.example\nMessage-ID: <cam.201.1@acme.example>",
)
# A local name without a domain, a returned message we have no row for: only its To: names Bea,
# which proves nothing (a failure line or our Message-ID would).
LOCAL_NAME = _report(
    "<dsn.2@relay.example>",
    "Final-Recipient: rfc822; bea",
    "From: ana@acme.example\nTo: Bea <bea@contoso.example>\nMessage-ID: <elsewhere.9@acme.example>",
)


def _seed(sessions: SessionFactory) -> None:
    with sessions.begin() as session:
        campaign = Campaign(key="bounces", name="Bounces")
        campaign.steps = [CampaignStep(position=1, channel=Channel.email, delay_days=0)]
        session.add(campaign)
        session.flush()
        for email, message_id in LEADS.items():
            lead = Lead(
                email=email,
                domain=email.split("@")[1],
                status=LeadStatus.contacted,
                campaign_id=campaign.id,
                steps_planned=2,
                next_step_at=NOW + timedelta(days=3),
            )
            session.add(lead)
            session.flush()
            if message_id is not None:
                session.add(
                    OutreachMessage(
                        lead_id=lead.id,
                        campaign_id=campaign.id,
                        step=1,
                        channel=Channel.email,
                        scheduled_at=NOW - timedelta(days=1),
                        status=OutreachStatus.sent,
                        message_id=message_id,
                        sent_at=NOW - timedelta(days=1),
                    )
                )


def read_replies(sessions: SessionFactory, server: ImapServer) -> CAMCycleReport:
    ctx = CycleContext(
        config=CAMCycleConfig(timezone="Europe/Berlin"),
        session_factory=sessions,
        gateways=Gateways(
            email=NoopEmailSender(),
            inbox=ImapInboxReader(server.settings()),
            social=NoopSocialPoster(),
            crm=NoopCrmSyncer(),
        ),
        clock=lambda: NOW,
        rng=random.Random(1),
        report=CAMCycleReport(start=NOW),
    )
    detect_replies(ctx)
    return ctx.report


def test_exactly_the_bounced_recipients_are_suppressed(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    _seed(sessions)
    flufl = ("dsn_09.txt", "simple_27.txt", "dsn_17.txt", "simple_42.txt")
    imap_server.append_many([X400_OURS, LOCAL_NAME, *((BOUNCES / f).read_bytes() for f in flufl)])

    report = read_replies(sessions, imap_server)

    assert (report.errors, report.replies_detected) == ([], 6)
    bounced = {"ada@northwind.example", "userx@example.com", "userx@example.net.py"}
    with sessions() as session:
        leads = {lead.email: lead for lead in session.scalars(select(Lead))}
        suppressed = set(session.scalars(select(Suppression.value)))
        replies = list(session.scalars(select(Reply)))
    statuses = {email: lead.status for email, lead in leads.items()}
    assert suppressed == bounced
    assert {e for e, s in statuses.items() if s is LeadStatus.bounced} == bounced
    assert statuses["carl@fabrikam.example"] is LeadStatus.contacted
    assert statuses["bea@contoso.example"] is LeadStatus.contacted  # named by the To: alone
    assert report.unverified_notices == 2  # Bea's, and the one naming nobody
    assert statuses["userx@example.fi"] is LeadStatus.contacted  # delayed, not bounced
    assert "/S=ada" in (leads["ada@northwind.example"].status_reason or "")
    # The bounce nothing names a usable recipient for is stored, unverified, and says why.
    [garbage] = [r for r in replies if "david..." in (r.matched_rule or "")]
    assert (garbage.classification, garbage.lead_id) == (ReplyClass.other, None)
    assert (garbage.matched_rule or "").startswith("unverified notice, nobody suppressed")
    assert "nothing in the report, the returned message or flufl.bounce" in (
        garbage.matched_rule or ""
    )
