"""Every lead that came in is accounted for in the report, and every message held back."""

from __future__ import annotations

from datetime import date

from cam.core.enums import Disqualification
from cam.core.holds import held_lines, leads_line
from cam.cycle import run_daily_cam_cycle
from tests.outreach.helpers import WEDNESDAY, Clock, add_leads, config, gateways, rng, safety


def test_leads_and_messages_add_up_and_holds_say_until_when(sessions):
    add_leads(sessions, 30, title="VP Sales")
    add_leads(sessions, 5, title="Intern", start=100)
    add_leads(sessions, 2, title="CEO", domain="rival.example", start=200)
    add_leads(sessions, 1, title="CEO", domain="bad..example", start=300)
    report = run_daily_cam_cycle(
        config(safety_settings=safety(blocked_domains=frozenset({"rival.example"}))),
        session_factory=sessions,
        gateways=gateways(),
        clock=Clock(WEDNESDAY),
        rng=rng(),
    )
    assert report.errors == []
    assert report.leads_processed == 38
    assert report.disqualified_why == {
        Disqualification.blocked_domain: 2,
        Disqualification.invalid_email: 1,
    }
    assert report.leads_below_threshold == 5
    assert report.leads_enrolled == 30
    assert (
        report.leads_disqualified + report.leads_below_threshold + report.leads_enrolled
        == report.leads_processed
    )
    # The email cap is 20 a day: 30 first emails planned, 20 go today, 10 tomorrow.
    assert report.outreach_scheduled == 30 and report.simulated == 20
    assert report.skipped_by_limits == {"email_daily_cap": 10}
    assert report.held_until == {"email_daily_cap": date(2026, 11, 26)}
    assert held_lines(report) == ["10 emails waiting: the day's email limit (until Thu 26 Nov)"]
    assert leads_line(report) == (
        "38 leads looked at: 3 disqualified (2 on a blocked domain, 1 with an invalid address), "
        "5 scored below the campaign's bar, 30 entered the campaign"
    )
