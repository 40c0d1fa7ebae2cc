"""Phase 3: the outbox send protocol, limits counted in the database, dry runs and going live."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cam.core.config import ChannelLimitConfig
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.models import (
    Channel,
    Event,
    Lead,
    LeadStatus,
    ManualTask,
    Notification,
    OutreachMessage,
    OutreachStatus,
    SendQuota,
    Suppression,
)
from cam.core.ports import SendOutcome
from cam.core.report import CAMCycleReport
from cam.core.state import get_state, set_paused
from cam.core.unsubscribe_tokens import read_token
from cam.leads.qualify import process_new_leads
from cam.outreach.scheduling import schedule_outreach
from cam.outreach.send_pass import CLAIM_LEASE, send_due_outreach
from tests.outreach.helpers import (
    SECRET,
    Clock,
    RecordingEmailSender,
    add_leads,
    config,
    gateways,
    outreach,
    rng,
    safety,
)

TWO_EMAILS = """
key = "two"
name = "Two emails"
score_threshold = 0
[[steps]]
channel = "email"
subject = "Hello {{ company }}"
body = "Hi {{ first_name }}"
[[steps]]
channel = "email"
delay_days = 1
body = "Following up, {{ first_name }}"
"""


def ctx_for(sessions, clock, email=None, *, linkedin=False, **overrides) -> CycleContext:
    overrides.setdefault("safety_settings", safety())
    overrides.setdefault("max_outreach_per_day", 100)
    cfg = config(**overrides)
    return CycleContext(
        config=cfg,
        session_factory=sessions,
        gateways=gateways(email, linkedin=linkedin),
        clock=clock,
        rng=rng(),
        report=CAMCycleReport(start=clock(), dry_run=cfg.dry_run),
    )


def plan(sessions, clock, count, **overrides):
    """Qualify and plan `count` leads, then make every planned row due now."""
    add_leads(sessions, count, start=overrides.pop("start", 0), **overrides.pop("lead", {}))
    process_new_leads(ctx_for(sessions, clock, **overrides))
    schedule_outreach(ctx_for(sessions, clock, **overrides))
    make_due(sessions, clock)


def make_due(sessions, clock):
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.status == OutreachStatus.planned)
            .values(scheduled_at=clock.now)
        )


def send(sessions, clock, email=None, **overrides) -> CAMCycleReport:
    ctx = ctx_for(sessions, clock, email, **overrides)
    send_due_outreach(ctx)
    return ctx.report


def statuses(sessions) -> dict[OutreachStatus, int]:
    counts: dict[OutreachStatus, int] = {}
    for row in outreach(sessions):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def quota(sessions, scope: str, window: str = "2026-11-25") -> int:
    with unit_of_work(sessions) as session:
        row = session.get(SendQuota, (scope, window))
        return row.used if row else 0


def test_dry_run_simulates_within_caps_and_never_calls_a_gateway(sessions):
    clock = Clock()
    plan(sessions, clock, 25)
    sender = RecordingEmailSender()
    report = send(sessions, clock, sender, dry_run=True)
    assert sender.connects == 0 and sender.sent == []
    assert report.simulated == 20 and report.outreach_sent == 0
    assert report.skipped_by_limits["email_daily_cap"] == 5
    assert quota(sessions, "dry:email") == 20 and quota(sessions, "live:email") == 0
    simulated = [r for r in outreach(sessions) if r.status is OutreachStatus.simulated]
    assert simulated[0].subject and simulated[0].body and simulated[0].message_id is None
    # A second dry pass the same day adds nothing over the cap.
    again = send(sessions, clock, sender, dry_run=True)
    assert again.simulated == 0 and sender.connects == 0


def test_live_send_stores_message_id_first_and_marks_sent(sessions):
    clock = Clock()
    plan(sessions, clock, 3)
    sender = RecordingEmailSender()
    report = send(sessions, clock, sender, dry_run=False)
    assert report.outreach_sent == 3 and len(sender.sent) == 3 and sender.connects == 1
    rows = {r.message_id: r for r in outreach(sessions)}
    for message in sender.sent:
        assert message.message_id.startswith("<") and message.message_id.endswith("@sales.example>")
        row = rows[message.message_id]
        assert row.status is OutreachStatus.sent and row.sent_at == clock.now
        assert read_token(SECRET, message.unsubscribe_token) == message.to
        assert message.subject.startswith("Company ") and message.html
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead)).first()
        assert lead is not None and lead.status is LeadStatus.contacted
        assert lead.next_step_at == clock.now + timedelta(days=2)
        assert get_state(session).mailbox_started_on == date(2026, 11, 25)


def test_daily_cap_holds_across_passes_and_resets_the_next_day(sessions):
    clock = Clock()
    plan(sessions, clock, 30)
    sender = RecordingEmailSender()
    first = send(sessions, clock, sender, dry_run=False)
    assert first.outreach_sent == 20 and first.skipped_by_limits["email_daily_cap"] == 10
    clock.advance(hours=1)
    second = send(sessions, clock, sender, dry_run=False)
    assert second.outreach_sent == 0 and len(sender.sent) == 20
    clock.advance(days=1)
    third = send(sessions, clock, sender, dry_run=False)
    assert third.outreach_sent == 10
    assert len({m.to for m in sender.sent}) == 30


def test_per_domain_and_hourly_caps(sessions):
    clock = Clock()
    plan(sessions, clock, 5, lead={"domain": "acme.com"})
    plan(sessions, clock, 5, start=10)
    sender = RecordingEmailSender()
    limits = {
        Channel.email: ChannelLimitConfig(daily_cap=20, hourly_cap=6),
        Channel.linkedin: ChannelLimitConfig(daily_cap=10),
    }
    report = send(sessions, clock, sender, dry_run=False, safety_settings=safety(channels=limits))
    domains = [m.to.split("@")[1] for m in sender.sent]
    assert domains.count("acme.com") == 3
    assert len(sender.sent) == 6
    assert report.skipped_by_limits["domain_daily_cap"] == 2
    assert report.skipped_by_limits["email_hourly_cap"] >= 1


def test_temporary_failure_backs_off_and_gives_the_quota_back(sessions):
    clock = Clock()
    plan(sessions, clock, 1)
    sender = RecordingEmailSender(answers={"lead0@company0.example": SendOutcome.retry_later})
    report = send(sessions, clock, sender, dry_run=False)
    [row] = outreach(sessions)
    assert row.status is OutreachStatus.planned and row.attempts == 1
    assert row.scheduled_at == clock.now + timedelta(minutes=15)
    assert quota(sessions, "live:email") == 0 and report.outreach_sent == 0
    sender.answers.clear()
    clock.advance(minutes=16)
    assert send(sessions, clock, sender, dry_run=False).outreach_sent == 1


def test_permanent_failure_bounces_and_suppresses_the_lead(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    sender = RecordingEmailSender(answers={"lead0@company0.example": SendOutcome.rejected})
    report = send(sessions, clock, sender, dry_run=False)
    assert report.outreach_sent == 1
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead).where(Lead.email == "lead0@company0.example")).one()
        assert lead.status is LeadStatus.bounced
        suppressed = session.scalars(select(Suppression.value)).all()
        assert suppressed == ["lead0@company0.example"]
    assert statuses(sessions) == {OutreachStatus.failed: 1, OutreachStatus.sent: 1}


def test_connection_failure_is_an_error_and_nothing_is_marked_sent(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    sender = RecordingEmailSender(refuse_connection=True)
    report = send(sessions, clock, sender, dry_run=False)
    assert report.outreach_sent == 0 and report.errors
    assert "connection refused" in report.errors[0].message
    assert statuses(sessions) == {OutreachStatus.planned: 2}
    assert quota(sessions, "live:email") == 0
    assert all(r.message_id is None and r.claimed_by is None for r in outreach(sessions))


def test_an_unexplained_failure_is_flagged_unknown_never_resent(sessions):
    clock = Clock()
    plan(sessions, clock, 1)
    sender = RecordingEmailSender(answers={"lead0@company0.example": RuntimeError("boom")})
    report = send(sessions, clock, sender, dry_run=False)
    assert report.unknown_outcomes == 1 and report.errors
    sender.answers.clear()
    clock.advance(hours=1)
    assert send(sessions, clock, sender, dry_run=False).outreach_sent == 0
    assert statuses(sessions) == {OutreachStatus.unknown: 1}


def test_a_dead_claim_becomes_unknown_after_the_lease(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.lead_id == 1)
            .values(status=OutreachStatus.sending, claimed_at=clock.now, claimed_by="dead")
        )
    sender = RecordingEmailSender()
    early = send(sessions, clock, sender, dry_run=False)
    assert early.unknown_outcomes == 0 and early.outreach_sent == 1
    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    late = send(sessions, clock, sender, dry_run=False)
    assert late.unknown_outcomes == 1
    assert statuses(sessions) == {OutreachStatus.unknown: 1, OutreachStatus.sent: 1}
    assert len(sender.sent) == 1
    with sessions() as session:
        unknown_id = session.scalars(
            select(OutreachMessage.id).where(OutreachMessage.status == OutreachStatus.unknown)
        ).one()
        flagged = session.scalars(select(Event).where(Event.name == "cam.outreach_unknown")).all()
    assert [event.details for event in flagged] == [{"outreach_ids": [unknown_id]}]


def test_going_live_sends_what_was_only_simulated(sessions):
    clock = Clock()
    plan(sessions, clock, 4)
    assert send(sessions, clock, dry_run=True).simulated == 4
    sender = RecordingEmailSender()
    clock.advance(minutes=5)
    report = send(sessions, clock, sender, dry_run=False)
    assert report.outreach_sent == 4 and len(sender.sent) == 4
    assert statuses(sessions) == {OutreachStatus.sent: 4}


def test_followups_thread_under_the_first_email(sessions, tmp_path: Path):
    campaign = tmp_path / "campaign.toml"
    campaign.write_text(TWO_EMAILS)
    clock = Clock()
    plan(sessions, clock, 1, campaign_file=campaign)
    sender = RecordingEmailSender()
    send(sessions, clock, sender, dry_run=False, campaign_file=campaign)
    clock.advance(days=1)
    schedule_outreach(ctx_for(sessions, clock, campaign_file=campaign))
    make_due(sessions, clock)
    report = send(sessions, clock, sender, dry_run=False, campaign_file=campaign)
    first, second = sender.sent
    assert report.followups_sent == 1
    assert second.in_reply_to == first.message_id and second.references == (first.message_id,)
    assert second.subject == "Re: Hello Company 0" and second.text == "Following up, First0"


def test_a_missing_template_value_fails_only_that_message(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    with unit_of_work(sessions) as session:
        session.execute(update(Lead).where(Lead.id == 1).values(company=""))
    sender = RecordingEmailSender()
    report = send(sessions, clock, sender, dry_run=False)
    assert report.outreach_sent == 1 and len(sender.sent) == 1
    failed = [r for r in outreach(sessions) if r.status is OutreachStatus.failed]
    assert len(failed) == 1 and "'company' is undefined" in (failed[0].reason or "")
    assert report.errors[0].phase == "send"


def test_linkedin_steps_become_tasks_within_the_linkedin_cap(sessions):
    clock = Clock()
    plan(sessions, clock, 4)
    with unit_of_work(sessions) as session:
        session.execute(update(OutreachMessage).values(status=OutreachStatus.sent))
        session.execute(update(Lead).values(next_step_at=clock.now))
    schedule_outreach(ctx_for(sessions, clock))
    make_due(sessions, clock)
    limits = {
        Channel.email: ChannelLimitConfig(daily_cap=20),
        Channel.linkedin: ChannelLimitConfig(daily_cap=3),
    }
    report = send(
        sessions, clock, RecordingEmailSender(), linkedin=True, dry_run=False,
        safety_settings=safety(channels=limits),
    )  # fmt: skip
    assert report.tasks_created == 3 and report.skipped_by_limits["linkedin_daily_cap"] == 1
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count(ManualTask.id))) == 3
        assert (
            session.scalar(select(func.count(Notification.id)).where(Notification.topic == "task"))
            == 3
        )


def test_an_unconfigured_channel_never_counts_as_sent(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    report = send(sessions, clock, None, dry_run=False)
    assert report.outreach_sent == 0 and "email" in report.channels_not_configured
    assert report.skipped_by_limits["email_not_configured"] == 2
    assert statuses(sessions) == {OutreachStatus.planned: 2}
    assert quota(sessions, "live:email") == 0


def test_warm_up_ramp_limits_a_new_mailbox(sessions):
    clock = Clock()
    plan(sessions, clock, 12)
    limits = {
        Channel.email: ChannelLimitConfig(daily_cap=20, warmup_start=3, warmup_increment=4),
        Channel.linkedin: ChannelLimitConfig(daily_cap=10),
    }
    sender = RecordingEmailSender()
    settings = safety(channels=limits)
    assert send(sessions, clock, sender, dry_run=False, safety_settings=settings).outreach_sent == 3
    clock.advance(days=1)
    assert send(sessions, clock, sender, dry_run=False, safety_settings=settings).outreach_sent == 7


def test_spacing_sends_one_email_per_gap(sessions):
    clock = Clock()
    plan(sessions, clock, 3)
    sender = RecordingEmailSender()
    settings = safety(min_gap_seconds=300)
    report = send(sessions, clock, sender, dry_run=False, safety_settings=settings)
    assert report.outreach_sent == 1 and report.skipped_by_limits["email_spacing"] == 2
    clock.advance(seconds=200)
    assert send(sessions, clock, sender, dry_run=False, safety_settings=settings).outreach_sent == 0
    clock.advance(seconds=101)
    assert send(sessions, clock, sender, dry_run=False, safety_settings=settings).outreach_sent == 1


def test_suppression_added_after_planning_stops_the_send_in_any_case(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    with unit_of_work(sessions) as session:
        session.add(Suppression(kind="email", value="LEAD0@Company0.example", reason="asked"))
    sender = RecordingEmailSender()
    send(sessions, clock, sender, dry_run=False)
    assert [m.to for m in sender.sent] == ["lead1@company1.example"]
    skipped = [r for r in outreach(sessions) if r.status is OutreachStatus.skipped]
    assert "suppressed" in (skipped[0].reason or "")


def test_paused_sends_nothing(sessions):
    clock = Clock()
    plan(sessions, clock, 2)
    with unit_of_work(sessions) as session:
        set_paused(session, paused=True, by="U1")
    sender = RecordingEmailSender()
    report = send(sessions, clock, sender, dry_run=False)
    assert sender.connects == 0 and report.skipped_by_limits == {"paused": 2}


@pytest.mark.parametrize("moment", [datetime(2026, 11, 28, 12, 0, tzinfo=UTC)])
def test_outside_the_window_messages_wait_for_it(sessions, moment):
    clock = Clock()
    plan(sessions, clock, 2)
    clock.now = moment  # a Saturday
    make_due(sessions, clock)
    sender = RecordingEmailSender()
    report = send(sessions, clock, sender, dry_run=False)
    assert sender.sent == [] and report.skipped_by_limits["send_window"] == 2
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert all(monday <= r.scheduled_at < monday + timedelta(hours=1) for r in outreach(sessions))
