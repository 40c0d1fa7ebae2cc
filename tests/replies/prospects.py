"""Prospects we wrote to and the replies they send back, for the reply watcher's tests and bench."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
)

T = TypeVar("T")
# When the first step went out; replies come after it.
SENT_AT = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
# When the second step was planned before any reply came.
PLANNED_AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def add_prospect(session: Session, email: str, *, company: str = "Northwind") -> int:
    """Add a contacted lead (step 1 sent, step 2 planned); return its id."""
    campaign = session.query(Campaign).filter_by(key="watch").one_or_none()
    if campaign is None:
        campaign = Campaign(key="watch", name="Watch campaign")
        campaign.steps = [
            CampaignStep(position=n, channel=Channel.email, delay_days=7 * (n - 1))
            for n in (1, 2, 3)
        ]
        session.add(campaign)
        session.flush()
    local = email.split("@")[0]
    lead = Lead(
        email=email,
        first_name=local.split(".")[0].title(),
        last_name="Prospect",
        company=company,
        title="Head of Sales",
        domain=email.split("@")[1],
        score=72,
        score_reasons=["title: head of sales", "company size 50-200"],
        status=LeadStatus.contacted,
        campaign_id=campaign.id,
        steps_planned=2,
        last_contacted_at=SENT_AT,
    )
    session.add(lead)
    session.flush()
    for step, status, when in (
        (1, OutreachStatus.sent, SENT_AT),
        (2, OutreachStatus.planned, PLANNED_AT),
    ):
        session.add(
            OutreachMessage(
                lead_id=lead.id,
                campaign_id=campaign.id,
                step=step,
                channel=Channel.email,
                scheduled_at=when,
                status=status,
                message_id=first_message_id(email) if step == 1 else None,
                sent_at=when if status is OutreachStatus.sent else None,
            )
        )
    session.flush()
    return lead.id


def first_message_id(email: str) -> str:
    return f"<cam.{email.replace('@', '.')}.1@acme.example>"


def reply(email: str, text: str, *, n: int = 1, subject: str = "Re: A quick question") -> bytes:
    """A reply from `email` to our first message, as their mail program would send it."""
    quoted = "\r\n".join(
        [
            "",
            "On Mon, 23 Nov 2026 at 10:15, Ana <ana@acme.example> wrote:",
            "> Hi, a quick question",
        ]
    )
    body = text.replace("\n", "\r\n") + "\r\n" + quoted + "\r\n"
    return (
        f"From: {email}\r\nTo: ana@acme.example\r\nSubject: {subject}\r\n"
        f"Message-ID: <r{n}.{email}>\r\nIn-Reply-To: {first_message_id(email)}\r\n"
        "Date: Mon, 30 Nov 2026 08:05:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + body.encode("utf-8")


def wait_for(check: Callable[[], T | None], timeout: float = 20.0, every: float = 0.05) -> T:
    """Return `check()` once it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(every)
