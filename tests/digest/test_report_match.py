"""The digest's funnel says what the cycle report says, for the day the cycle ran."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cam.core.db import unit_of_work
from cam.cycle import run_daily_cam_cycle, run_send_pass
from cam.digest import rows
from cam.digest.build import build_digest
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


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_funnel_of_the_day_equals_the_cycle_report(sessions, dry_run):
    arrived = WEDNESDAY - timedelta(hours=2)
    add_leads(sessions, 30, title="VP Sales", created_at=arrived)
    add_leads(sessions, 5, title="Intern", start=100, created_at=arrived)
    add_leads(sessions, 2, domain="rival.example", start=200, created_at=arrived)
    add_leads(sessions, 1, domain="bad..example", start=300, created_at=arrived)
    cycle_config = config(
        dry_run=dry_run, safety_settings=safety(blocked_domains=frozenset({"rival.example"}))
    )
    clock, edge = Clock(WEDNESDAY), gateways(email=RecordingEmailSender())
    report = run_daily_cam_cycle(
        cycle_config, session_factory=sessions, gateways=edge, clock=clock, rng=rng()
    )
    # The day's later sends go in send passes between cycles: the day's digest counts them.
    clock.now = WEDNESDAY.replace(hour=16, minute=59)
    later = run_send_pass(cycle_config, session_factory=sessions, gateways=edge, clock=clock)
    assert report.errors == later.errors == []
    with unit_of_work(sessions) as session:
        digest = build_digest(session, config=cycle_config, now=WEDNESDAY + timedelta(hours=8))
    funnel = digest.funnel
    assert funnel.new_leads == report.leads_created == 38
    assert funnel.disqualified == report.leads_disqualified == 3
    assert funnel.below_bar == report.leads_below_threshold == 5
    assert funnel.enrolled == report.leads_enrolled == 30
    sent = report.outreach_sent + later.outreach_sent
    assert funnel.sent == sent
    assert funnel.contacted == sent - report.followups_sent - later.followups_sent
    assert funnel.simulated == report.simulated + later.simulated
    assert (funnel.simulated if dry_run else funnel.sent) > 0
    # The words are the report's: below the bar and disqualified beside the leads in.
    labels = [label.strip() for label, _now, _before in rows.funnel_rows(digest)]
    assert labels[:5] == [
        "Leads in",
        "disqualified",
        "below the bar",
        "Enrolled (above the bar)",
        "Contacted",
    ]
    assert "Qualified" not in labels
    assert (
        labels.index("Replied") < labels.index("Interested") < labels.index("Escalated to the CRM")
    )
