"""Test doubles at the engine's edge (a recording mail server stand-in) and data builders."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SafetySettings
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Channel, Lead, LeadStatus, OutreachMessage
from cam.core.ports import (
    EmailConnection,
    GatewayError,
    Gateways,
    OutgoingEmail,
    SendOutcome,
    SendResult,
)
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster

# Wednesday 25 November 2026, 10:00 UTC: inside the default window in UTC.
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SECRET = "test-secret-key"


class Clock:
    """A settable clock the cycle reads."""

    def __init__(self, now: datetime = WEDNESDAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RecordingEmailSender:
    """An `EmailSender` that records what it is given and answers as told, per address."""

    name: str = "recording-email"
    configured: bool = True
    sent: list[OutgoingEmail] = field(default_factory=list)
    connects: int = 0
    # address -> outcome, or an exception instance to raise.
    answers: dict[str, SendOutcome | Exception] = field(default_factory=dict)
    refuse_connection: bool = False

    @contextmanager
    def connect(self) -> Iterator[EmailConnection]:
        self.connects += 1
        if self.refuse_connection:
            raise GatewayError("connection refused by test server")
        yield _RecordingConnection(self)


class _RecordingConnection:
    def __init__(self, owner: RecordingEmailSender) -> None:
        self.owner = owner

    def send(self, message: OutgoingEmail) -> SendResult:
        answer = self.owner.answers.get(message.to, SendOutcome.accepted)
        if isinstance(answer, Exception):
            raise answer
        if answer is SendOutcome.accepted:
            self.owner.sent.append(message)
        return SendResult(answer, "" if answer is SendOutcome.accepted else f"{answer} by test")


def gateways(email: Any = None, social: Any = None, *, linkedin: bool = False) -> Gateways:
    """Return gateways: no-ops unless given; `linkedin=True` uses the real task poster."""
    if social is None:
        social = LinkedInTaskPoster() if linkedin else NoopSocialPoster()
    return Gateways(
        email=email if email is not None else NoopEmailSender(),
        inbox=NoopInboxReader(),
        social=social,
        crm=NoopCrmSyncer(),
    )


def config(**overrides: Any) -> CAMCycleConfig:
    """Return a cycle config with a secret key and the given overrides."""
    values: dict[str, Any] = {"secret_key": SECRET, "sender_domain": "sales.example"}
    values.update(overrides)
    return CAMCycleConfig(**values)


def safety(**overrides: Any) -> SafetySettings:
    """Return safety settings: email 20, LinkedIn 10, no spacing unless given."""
    values: dict[str, Any] = {
        "channels": {
            Channel.email: ChannelLimitConfig(daily_cap=20),
            Channel.linkedin: ChannelLimitConfig(daily_cap=10),
        },
        "min_gap_seconds": 0,
        "max_extra_gap_seconds": 0,
    }
    values.update(overrides)
    return SafetySettings(**values)


def add_leads(
    sessions: SessionFactory,
    count: int,
    *,
    title: str = "VP Sales",
    domain: str | None = None,
    start: int = 0,
    **fields: Any,
) -> None:
    """Insert `count` new leads in one statement; each on its own domain unless given."""
    rows = []
    for n in range(start, start + count):
        rows.append(
            {
                "email": f"lead{n}@{domain or f'company{n}.example'}",
                "first_name": f"First{n}",
                "last_name": f"Last{n}",
                "company": f"Company {n}",
                "title": title,
                "domain": "",
                "source": "test",
                "score": 0,
                "score_reasons": [],
                "status": LeadStatus.new,
                "custom_fields": {},
                "steps_planned": 0,
                **fields,
            }
        )
    with unit_of_work(sessions) as session:
        if rows:
            session.execute(insert(Lead), rows)


def outreach(sessions: SessionFactory) -> list[OutreachMessage]:
    with unit_of_work(sessions) as session:
        return list(session.scalars(select(OutreachMessage).order_by(OutreachMessage.id)))


def rng() -> random.Random:
    return random.Random(7)
