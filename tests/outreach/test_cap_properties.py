"""For any sequence of cycles, send passes and clock times: no cap exceeded, nothing sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from cam.core.config import ChannelLimitConfig
from cam.core.db import unit_of_work
from cam.core.models import Base, Channel, Lead, OutreachMessage, OutreachStatus
from cam.core.safety import team_day
from cam.core.state import get_state
from cam.cycle import run_daily_cam_cycle, run_send_pass
from tests.outreach.helpers import (
    WEDNESDAY,
    Clock,
    RecordingEmailSender,
    add_leads,
    config,
    gateways,
    rng,
    safety,
)

EMAIL_CAP, LINKEDIN_CAP, DOMAIN_CAP, HOURLY_CAP = 6, 3, 2, 4
TEAM_ZONE = "Europe/Berlin"


def limits(gap: int):
    return safety(
        channels={
            Channel.email: ChannelLimitConfig(daily_cap=EMAIL_CAP, hourly_cap=HOURLY_CAP),
            Channel.linkedin: ChannelLimitConfig(daily_cap=LINKEDIN_CAP),
        },
        per_domain_daily_cap=DOMAIN_CAP,
        min_gap_seconds=gap,
    )


actions = st.lists(
    st.tuples(
        st.sampled_from(["cycle", "send"]),
        # Minutes to move the clock forward first: mostly within a day, sometimes days.
        st.one_of(st.integers(min_value=0, max_value=180), st.integers(0, 3 * 24 * 60)),
        st.booleans(),  # dry run?
    ),
    min_size=3,
    max_size=8,
)


def wipe(sessions) -> None:
    with unit_of_work(sessions) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


@pytest.mark.long
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=actions,
    lead_count=st.integers(min_value=1, max_value=30),
    domains=st.integers(min_value=1, max_value=6),
    zones=st.sampled_from([None, "America/New_York", "Asia/Tokyo"]),
    gap=st.sampled_from([0, 600]),
)
def test_caps_hold_and_no_step_is_sent_twice(sessions, steps, lead_count, domains, zones, gap):
    wipe(sessions)
    for n in range(domains):
        share = lead_count // domains + (1 if n < lead_count % domains else 0)
        add_leads(
            sessions,
            share,
            start=n * 100,
            domain=f"d{n}.example",
            timezone=zones,
        )
    clock = Clock(WEDNESDAY.replace(hour=8))
    sender = RecordingEmailSender()
    gw = gateways(sender, linkedin=True)
    random_source = rng()
    for action, minutes, dry in steps:
        clock.advance(minutes=minutes)
        cfg = config(
            dry_run=dry, timezone=TEAM_ZONE, safety_settings=limits(gap), max_outreach_per_day=12
        )
        if not dry:
            with unit_of_work(sessions) as session:
                state = get_state(session)
                if state.mailbox_started_on is None:
                    state.mailbox_started_on = team_day(clock.now, TEAM_ZONE)
        kwargs = {"session_factory": sessions, "gateways": gw, "clock": clock, "rng": random_source}
        if action == "cycle":
            report = run_daily_cam_cycle(cfg, **kwargs)
        else:
            report = run_send_pass(cfg, **kwargs)
        assert [e for e in report.errors if e.phase != "send"] == []

    with unit_of_work(sessions) as session:
        rows = session.execute(
            select(OutreachMessage, Lead.domain).join(Lead, Lead.id == OutreachMessage.lead_id)
        ).all()
    event(f"emails sent: {'some' if sender.sent else 'none'}")
    event(f"simulated: {'some' if any(r.status == 'simulated' for r, _ in rows) else 'none'}")
    # The gateway never saw a (lead, step) twice.
    delivered = Counter((m.lead_id, m.step) for m in sender.sent)
    assert all(n == 1 for n in delivered.values())
    # Per mode, channel and team day; per domain and day; per hour: within the caps.
    per_channel: Counter[tuple[str, Channel, object]] = Counter()
    per_domain: Counter[tuple[str, str, object]] = Counter()
    per_hour: Counter[tuple[str, object]] = Counter()
    for row, domain in rows:
        if row.status in (OutreachStatus.sent, OutreachStatus.unknown, OutreachStatus.sending):
            mode, moment = "live", row.claimed_at
        elif row.status is OutreachStatus.simulated:
            mode, moment = "dry", row.sent_at
        else:
            continue
        assert moment is not None
        day = team_day(moment, TEAM_ZONE)
        per_channel[(mode, row.channel, day)] += 1
        if row.channel is Channel.email:
            per_domain[(mode, domain, day)] += 1
            local = moment.astimezone(ZoneInfo(TEAM_ZONE))
            per_hour[(mode, local.replace(minute=0, second=0, microsecond=0))] += 1
    caps = {Channel.email: EMAIL_CAP, Channel.linkedin: LINKEDIN_CAP}
    assert all(n <= caps[channel] for (_, channel, _), n in per_channel.items())
    assert all(n <= DOMAIN_CAP for n in per_domain.values())
    assert all(n <= HOURLY_CAP for n in per_hour.values())
    live_sent = [
        r for r, _ in rows if r.status is OutreachStatus.sent and r.channel is Channel.email
    ]
    assert len(live_sent) == len(sender.sent)
    # Sends of one channel keep the minimum gap: never a burst.
    claims = sorted(r.claimed_at for r in live_sent if r.claimed_at is not None)
    assert len(claims) == len(live_sent)
    assert all(b - a >= timedelta(seconds=gap) for a, b in pairwise(claims))
