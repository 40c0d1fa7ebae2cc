"""Two weeks of a team in Berlin, live from several mailboxes or in a dry run.

Each weekday every mailbox sends (or would send) a few emails; the live fortnight also gets
replies of every class, refusals at send time and bounce notices, so each counted thing has
a known number per mailbox and per reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import MailboxConfig
from cam.core.models import (
    Campaign,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
)
from tests.digest.seed import TEAM_ZONE, local

# Monday 30 November 2026, the fortnight's last day.
LAST = date(2026, 11, 30)
DAYS = 14
NOW = local(LAST, 17, 30)
MAILBOXES = ("maya", "jonas", "petra")
# Replies of the live fortnight, by mailbox: maya's leads are the most interested.
REPLY_PLAN = {
    "maya": (ReplyClass.interested, ReplyClass.interested, ReplyClass.question),
    "jonas": (ReplyClass.interested, ReplyClass.not_interested),
    "petra": (ReplyClass.unsubscribe, ReplyClass.question),
}
REFUSALS = {
    "maya": "rejected: 550 5.1.1 <x>: Recipient address rejected: User unknown",
    "jonas": "rejected: 552 5.2.2 Mailbox full",
    "petra": "rejected: 554 5.7.1 Message blocked by policy",
}


def config(mailboxes: int = len(MAILBOXES), *, dry_run: bool = False) -> CAMCycleConfig:
    """The team's settings with `mailboxes` mailboxes (none: the single-mailbox settings)."""
    keys = [*MAILBOXES, *(f"rep{n}" for n in range(len(MAILBOXES), mailboxes))][:mailboxes]
    return CAMCycleConfig(
        timezone=TEAM_ZONE,
        dry_run=dry_run,
        mailboxes=[
            MailboxConfig(key=key, from_=f"{key.title()} <{key}@acme.example>", daily_cap=30)
            for key in keys
        ],
    )


@dataclass
class Fortnight:
    sent: dict[str, int] = field(default_factory=dict)
    simulated: dict[str, int] = field(default_factory=dict)
    replies_last_day: dict[str, list[ReplyClass]] = field(default_factory=dict)
    bounces_last_day: dict[str, int] = field(default_factory=dict)


def seed(
    sessions: SessionFactory, *, dry_run: bool, keys: tuple[str, ...] = MAILBOXES
) -> Fortnight:
    """Write the fortnight; the last day's replies and bounces are what `REPLY_PLAN` says."""
    seeded = Fortnight()
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="main", name="Main")
        session.add(campaign)
        session.flush()
        number = 0
        for offset in range(DAYS):
            day = LAST - timedelta(days=DAYS - 1 - offset)
            if day.weekday() >= 5:
                continue
            for index, key in enumerate(keys):
                for k in range(3 + index + offset % 3):
                    number += 1
                    _send(session, seeded, campaign.id, number, key, day, k, dry_run=dry_run)
        if not dry_run:
            _last_day(session, seeded, campaign.id, keys)
    return seeded


def _lead(session, number: int, key: str) -> Lead:
    lead = Lead(
        email=f"lead{number}@{key}-client{number % 4}.example",
        domain=f"{key}-client{number % 4}.example",
        status=LeadStatus.contacted,
        mailbox=key,
        created_at=NOW - timedelta(days=30),
    )
    session.add(lead)
    session.flush()
    return lead


def _send(session, seeded, campaign_id, number, key, day, k, *, dry_run) -> None:
    lead = _lead(session, number, key)
    moment = local(day, 9 + k % 8, 5 * k % 60)
    status = OutreachStatus.simulated if dry_run else OutreachStatus.sent
    session.add(
        OutreachMessage(
            lead_id=lead.id,
            campaign_id=campaign_id,
            step=1,
            channel=Channel.email,
            scheduled_at=moment,
            status=status,
            mailbox=key,
            sent_at=moment,
            updated_at=moment,
            message_id=f"<m{number}@cam>",
        )
    )
    if day == LAST:
        counts = seeded.simulated if dry_run else seeded.sent
        counts[key] = counts.get(key, 0) + 1


def _last_day(session, seeded: Fortnight, campaign_id: int, keys: tuple[str, ...]) -> None:
    """Replies, one refusal at send time and one bounce notice per mailbox, on the last day."""
    number = 100_000
    for key in keys:
        kinds = list(REPLY_PLAN.get(key, (ReplyClass.question,)))
        for n, kind in enumerate(kinds):
            number += 1
            lead = _lead(session, number, key)
            session.add(Reply(lead_id=lead.id, classification=kind, received_at=local(LAST, 11, n)))
        seeded.replies_last_day[key] = kinds
        number += 1
        refused = _lead(session, number, key)
        session.add(
            OutreachMessage(
                lead_id=refused.id,
                campaign_id=campaign_id,
                step=1,
                channel=Channel.email,
                scheduled_at=local(LAST, 10),
                status=OutreachStatus.failed,
                mailbox=key,
                reason=REFUSALS.get(key, "rejected: 550 5.1.1 user unknown"),
                updated_at=local(LAST, 10),
            )
        )
        number += 1
        noticed = _lead(session, number, key)
        session.add(
            Reply(
                lead_id=noticed.id,
                classification=ReplyClass.bounce,
                matched_rule="delivery report: failed 5.1.1 for the lead (permanent)",
                received_at=local(LAST, 12),
            )
        )
        seeded.bounces_last_day[key] = 2
