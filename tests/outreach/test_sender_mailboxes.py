"""Which mailbox each lead goes out from: its owner's, else spread by what each can still send."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import MailboxConfig
from cam.core.models import Campaign, Lead, LeadStatus
from cam.outreach import sender_mailboxes

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
CONFIG = CAMCycleConfig(
    mailboxes=[
        # The first mailbox has no owner: a lead without one must not land there for that.
        MailboxConfig(key="shared", from_="Team <team@acme.example>", daily_cap=10),
        MailboxConfig(key="maya", from_="Maya <maya@acme.example>", owner="U0MAYA", daily_cap=10),
        MailboxConfig(key="jonas", from_="Jonas <jonas@acme.example>", daily_cap=10),
    ]
)


def _enrolled(sessions: SessionFactory, owners: list[str]) -> None:
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="c", name="C")
        session.add(campaign)
        session.flush()
        session.add_all(
            Lead(
                email=f"lead{i}@company{i}.example",
                status=LeadStatus.scored,
                campaign_id=campaign.id,
                custom_fields={"owner": owner} if owner else {},
            )
            for i, owner in enumerate(owners)
        )


def _mailboxes(sessions: SessionFactory) -> list[str | None]:
    with sessions() as session:
        return list(session.scalars(select(Lead.mailbox).order_by(Lead.id)))


def test_leads_without_an_owner_are_spread_over_the_mailboxes(sessions: SessionFactory) -> None:
    _enrolled(sessions, [""] * 6)
    with unit_of_work(sessions) as session:
        assert sender_mailboxes.assign_unowned(session, CONFIG, NOW) == 6
    assert Counter(_mailboxes(sessions)) == {"shared": 2, "maya": 2, "jonas": 2}


def test_an_owner_by_key_address_or_slack_id_wins(sessions: SessionFactory) -> None:
    _enrolled(sessions, ["jonas", "MAYA@acme.example", "U0MAYA", "nobody@else.example"])
    with unit_of_work(sessions) as session:
        sender_mailboxes.assign_unowned(session, CONFIG, NOW)
    owned = _mailboxes(sessions)
    assert owned[:3] == ["jonas", "maya", "maya"]
    assert owned[3] == "shared"  # an unknown owner is spread like no owner: the roomiest first
