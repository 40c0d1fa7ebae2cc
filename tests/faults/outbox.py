"""A live outbox to break things on: planned first emails, a live config, the real SMTP sender.

Shared by the fault tests and their sender subprocess, so both sides agree on the caps, the
clock and the gateway.
"""

from __future__ import annotations

import os
import random
import time as time_module
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from cam.bootstrap import ProcessConfig, Runtime, sender_domain
from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SafetySettings, SendWindow
from cam.core.models import Campaign, CampaignStep, Channel, Lead, LeadStatus, OutreachMessage
from cam.core.settings import Settings
from cam.cycle import run_send_pass
from tests.gateways.smtp_server import ReceivedMail

# A Wednesday before the window below opens, so hours of clock can pass on one day.
BASE = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


SUBJECT = "{{ company }} and your pipeline"
BODY = "Hi {{ first_name }},\n\nA short question for {{ company }}.\n"


@dataclass(frozen=True)
class Caps:
    daily: int
    per_domain: int


def live_config(caps: Caps, settings: Settings) -> CAMCycleConfig:
    """Live sending, email only, a long window, no spacing: the caps are what binds."""
    return CAMCycleConfig(
        dry_run=False,
        channels_enabled=frozenset({Channel.email}),
        sender_domain=sender_domain(settings.mail_from),
        secret_key=settings.secret_key,
        safety_settings=SafetySettings(
            channels={Channel.email: ChannelLimitConfig(daily_cap=caps.daily)},
            per_domain_daily_cap=caps.per_domain,
            send_window=SendWindow(start=time(7, 0), end=time(21, 0)),
            min_gap_seconds=0,
            max_extra_gap_seconds=0,
        ),
    )


def seed_outbox(
    engine: Engine,
    domains: dict[str, int],
    *,
    due: datetime = BASE,
    key: str = "faults",
    subject: str = SUBJECT,
    body: str = BODY,
) -> list[str]:
    """Plan step 1 of campaign `key` for `count` leads on each domain, due at `due`.

    Return the leads' addresses (`lead<n>@<domain>`).
    """
    with Session(engine) as session, session.begin():
        campaign = Campaign(key=key, name=key.title(), active=True, score_threshold=0)
        campaign.steps.append(
            CampaignStep(
                position=1,
                channel=Channel.email,
                delay_days=3,
                subject_template=subject,
                body_template=body,
            )
        )
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
    emails = [f"lead{n}@{domain}" for domain, count in domains.items() for n in range(count)]
    leads = [
        {
            "email": email,
            "first_name": f"Lead{n}",
            "last_name": "Example",
            "company": email.split("@")[1].split(".")[0].title(),
            "title": "Head of Sales",
            "domain": email.split("@")[1],
            "status": LeadStatus.scheduled,
            "score": 80,
            "campaign_id": campaign_id,
            "steps_planned": 1,
        }
        for n, email in enumerate(emails)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Lead), leads)
        # In the order the leads were listed: a reused PostgreSQL table returns rows in the
        # order they landed in its free space, not in the order of their ids.
        ids = (
            conn.execute(select(Lead.id).where(Lead.email.in_(emails)).order_by(Lead.id))
            .scalars()
            .all()
        )
        conn.execute(
            insert(OutreachMessage),
            [
                {
                    "lead_id": lead_id,
                    "campaign_id": campaign_id,
                    "step": 1,
                    "channel": Channel.email,
                    "scheduled_at": due - timedelta(minutes=1),
                }
                for lead_id in ids
            ],
        )
    return emails


def deliveries(messages: Iterable[ReceivedMail]) -> Counter[str]:
    """Count what reached the server per recipient (one step each): twice shows as 2."""
    return Counter(rcpt.lower() for mail in messages for rcpt in mail.rcpt_tos)


def moving_clock(start: datetime, monotonic: Callable[[], float]) -> Callable[[], datetime]:
    """Return a clock that starts at `start` and runs at the speed of real time."""
    origin = monotonic()
    return lambda: start + timedelta(seconds=monotonic() - origin)


def send_until_idle(
    config: CAMCycleConfig, settings: Settings, clock_start: datetime, instance: str
) -> None:
    """Run send passes, wired from `Settings` as a deployed process is, until one sends nothing.

    The clock starts at `clock_start` and runs at real speed; the fault tests kill the process.
    """
    clock = moving_clock(clock_start, time_module.monotonic)
    with Runtime(ProcessConfig.load(settings)) as runtime:
        while True:
            report = run_send_pass(
                config,
                session_factory=runtime.session_factory,
                gateways=runtime.gateways,
                clock=clock,
                rng=random.Random(),
                instance=f"{instance}-{os.getpid()}",
            )
            if report.outreach_sent == 0:
                return
