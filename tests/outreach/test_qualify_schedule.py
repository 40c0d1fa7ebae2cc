"""Phase 1 (qualify) and phase 2 (schedule), driven through the phase functions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.enums import Disqualification
from cam.core.models import (
    Channel,
    Event,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Suppression,
    SuppressionKind,
)
from cam.core.report import CAMCycleReport
from cam.leads.event_payloads import LeadsProcessed
from cam.leads.qualify import process_new_leads
from cam.outreach.scheduling import schedule_outreach
from tests.outreach.helpers import Clock, add_leads, config, gateways, outreach, rng, safety


def make_ctx(sessions, clock, **overrides) -> CycleContext:
    cfg = config(**overrides)
    return CycleContext(
        config=cfg,
        session_factory=sessions,
        gateways=gateways(),
        clock=clock,
        rng=rng(),
        report=CAMCycleReport(start=clock(), dry_run=cfg.dry_run),
    )


def leads_by_email(sessions) -> dict[str, Lead]:
    with unit_of_work(sessions) as session:
        return {lead.email: lead for lead in session.scalars(select(Lead))}


def test_qualify_validates_enriches_blocks_suppresses_and_scores(sessions):
    clock = Clock()
    with unit_of_work(sessions) as session:
        for email, title in [
            ("Ann@Acme.com", "VP Sales"),
            ("not-an-email", "CEO"),
            ("bob@mail.eu.competitor.com", "CEO"),
            ("cat@suppressed.org", "CEO"),
            ("DAN@Example.NET", "CEO"),
            ("eve@gmail.com", "Intern"),
        ]:
            session.add(Lead(email=email, title=title))
        session.add(Suppression(kind=SuppressionKind.domain, value="suppressed.org", reason="x"))
        session.add(Suppression(kind=SuppressionKind.email, value="dan@example.net", reason="y"))
    ctx = make_ctx(
        sessions, clock, safety_settings=safety(blocked_domains=frozenset({"competitor.com"}))
    )
    process_new_leads(ctx)
    leads = leads_by_email(sessions)
    ann = leads["Ann@Acme.com"]
    assert ann.status is LeadStatus.scored and ann.domain == "acme.com"
    assert ann.score == 35 + 15 + 20 and "+35 title has 'vp'" in ann.score_reasons
    assert leads["not-an-email"].status is LeadStatus.disqualified
    assert "invalid email" in (leads["not-an-email"].status_reason or "")
    assert leads["bob@mail.eu.competitor.com"].status_reason == "blocked domain competitor.com"
    assert leads["cat@suppressed.org"].status_reason == "suppressed domain suppressed.org"
    assert leads["DAN@Example.NET"].status_reason == "suppressed address"
    assert leads["eve@gmail.com"].status is LeadStatus.scored and leads["eve@gmail.com"].score < 0
    assert (ctx.report.leads_processed, ctx.report.leads_disqualified) == (6, 4)
    assert ctx.report.disqualified_why == dict.fromkeys(Disqualification, 1)
    assert ctx.report.leads_created == 6
    with unit_of_work(sessions) as session:
        event = session.scalars(select(Event).where(Event.name == LeadsProcessed.name)).one()
        payload = LeadsProcessed.model_validate(event.details)
    assert payload == LeadsProcessed(processed=6, disqualified=4, scored=2)


def test_qualify_cap_holds_across_cycles_of_one_day(sessions):
    clock = Clock()
    add_leads(sessions, 25)
    first = make_ctx(sessions, clock, max_new_leads_per_day=10)
    process_new_leads(first)
    second = make_ctx(sessions, clock, max_new_leads_per_day=10)
    process_new_leads(second)
    assert (first.report.leads_processed, second.report.leads_processed) == (10, 0)
    assert first.report.skipped_by_limits == {"max_new_leads_per_day": 15}
    clock.advance(days=1)
    third = make_ctx(sessions, clock, max_new_leads_per_day=10)
    process_new_leads(third)
    assert third.report.leads_processed == 10


def qualified(sessions, clock, count, **overrides):
    add_leads(sessions, count)
    ctx = make_ctx(sessions, clock, **overrides)
    process_new_leads(ctx)
    return ctx


def test_schedule_enrols_above_threshold_and_spreads_inside_the_window(sessions):
    clock = Clock(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    qualified(sessions, clock, 12)
    add_leads(sessions, 3, title="Intern", start=100)
    process_new_leads(make_ctx(sessions, clock))
    ctx = make_ctx(sessions, clock, safety_settings=safety(min_gap_seconds=600))
    schedule_outreach(ctx)
    rows = outreach(sessions)
    assert ctx.report.outreach_scheduled == 12 == len(rows)
    assert all(r.step == 1 and r.channel is Channel.email for r in rows)
    times = sorted(r.scheduled_at for r in rows)
    day_start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert all(day_start <= t < day_start + timedelta(hours=8) for t in times)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 600
    # Spread, not bunched at the opening: the day's messages span most of the window.
    assert (times[-1] - times[0]) > timedelta(hours=4)
    leads = leads_by_email(sessions)
    assert leads["lead100@company100.example"].campaign_id is None
    assert all(lead.status is LeadStatus.scheduled for lead in leads.values() if lead.campaign_id)


def test_schedule_honours_the_recipients_time_zone(sessions):
    clock = Clock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    add_leads(sessions, 5, timezone="America/Los_Angeles")
    process_new_leads(make_ctx(sessions, clock))
    schedule_outreach(make_ctx(sessions, clock))
    for row in outreach(sessions):
        local = row.scheduled_at.astimezone(ZoneInfo("America/Los_Angeles"))
        assert 9 <= local.hour < 17 and local.weekday() < 5


def test_daily_planning_caps_hold_across_cycles(sessions):
    clock = Clock()
    qualified(sessions, clock, 50)
    first = make_ctx(sessions, clock, max_outreach_per_day=15)
    schedule_outreach(first)
    second = make_ctx(sessions, clock, max_outreach_per_day=15)
    schedule_outreach(second)
    assert (first.report.outreach_scheduled, second.report.outreach_scheduled) == (15, 0)
    assert first.report.skipped_by_limits["max_outreach_per_day"] == 35
    assert second.report.skipped_by_limits["max_outreach_per_day"] == 35


def test_plans_beyond_the_channel_cap_roll_to_the_next_window(sessions):
    clock = Clock()
    qualified(sessions, clock, 30)
    schedule_outreach(make_ctx(sessions, clock, max_outreach_per_day=30))
    days: dict[object, int] = {}
    for row in outreach(sessions):
        days[row.scheduled_at.date()] = days.get(row.scheduled_at.date(), 0) + 1
    assert max(days.values()) <= 20 and sum(days.values()) == 30


def test_next_step_waits_for_its_delay_and_stops_after_a_reply(sessions):
    clock = Clock()
    qualified(sessions, clock, 2)
    schedule_outreach(make_ctx(sessions, clock))
    # Step 1 goes out now for both leads; one of them replies.
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutreachMessage).values(status=OutreachStatus.sent, sent_at=clock.now)
        )
        session.execute(update(Lead).values(next_step_at=clock.now + timedelta(days=2)))
        session.execute(
            update(Lead)
            .where(Lead.email == "lead1@company1.example")
            .values(status=LeadStatus.replied, replied_at=clock.now)
        )
    clock.advance(days=1)
    early = make_ctx(sessions, clock)
    schedule_outreach(early)
    assert early.report.outreach_scheduled == 0
    clock.advance(days=1)
    due = make_ctx(sessions, clock)
    schedule_outreach(due)
    assert due.report.outreach_scheduled == 1
    step2 = [r for r in outreach(sessions) if r.step == 2]
    assert len(step2) == 1 and step2[0].channel is Channel.linkedin


def test_a_disabled_channel_is_skipped_and_the_sequence_goes_on(sessions):
    clock = Clock()
    qualified(sessions, clock, 1)
    schedule_outreach(make_ctx(sessions, clock))
    with unit_of_work(sessions) as session:
        session.execute(update(OutreachMessage).values(status=OutreachStatus.sent))
        session.execute(update(Lead).values(next_step_at=clock.now))
    ctx = make_ctx(sessions, clock, channels_enabled=frozenset({Channel.email}))
    schedule_outreach(ctx)
    linkedin = [r for r in outreach(sessions) if r.step == 2]
    assert linkedin[0].status is OutreachStatus.skipped
    assert linkedin[0].reason == "channel disabled"
    lead = next(iter(leads_by_email(sessions).values()))
    assert lead.steps_planned == 2 and lead.next_step_at == clock.now + timedelta(days=3)


def test_planning_keeps_each_domain_within_its_daily_cap(sessions):
    clock = Clock()
    add_leads(sessions, 7, domain="acme.example")
    process_new_leads(make_ctx(sessions, clock))
    schedule_outreach(make_ctx(sessions, clock))
    per_day: dict[object, int] = {}
    for row in outreach(sessions):
        per_day[row.scheduled_at.date()] = per_day.get(row.scheduled_at.date(), 0) + 1
    # Wednesday, Thursday, Friday: three, three, one.
    assert sorted(per_day.values(), reverse=True) == [3, 3, 1]


def test_a_lead_that_cannot_be_scored_is_an_error_and_the_others_go_on(sessions):
    clock = Clock()
    add_leads(sessions, 3)
    with unit_of_work(sessions) as session:
        session.execute(update(Lead).where(Lead.id == 2).values(custom_fields=["not", "a", "map"]))
    ctx = make_ctx(sessions, clock)
    process_new_leads(ctx)
    assert ctx.report.leads_processed == 2
    [error] = ctx.report.errors
    assert (error.phase, error.item) == ("qualify", "lead1@company1.example")
    assert leads_by_email(sessions)["lead1@company1.example"].status is LeadStatus.new
