"""The scheduler's jobs on both databases: slots, one cycle per slot, pause, the send lease."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.notifier import Notifier, notifier_client
from bot.scheduler import SEND_LEASE, SEND_LEASE_TTL, BotScheduler
from cam.core import leases
from cam.core.db import unit_of_work
from cam.core.models import (
    Approval,
    ApprovalStatus,
    Campaign,
    Channel,
    CycleRun,
    Lead,
    LeadStatus,
    Notification,
    NotificationStatus,
    OutreachMessage,
    OutreachStatus,
    utcnow,
)
from cam.core.state import get_state, set_paused
from cam.escalation.go_live import request_go_live
from cam.gateways.factory import build_gateways
from tests.e2e.slack_client import settings_for


def make_scheduler(fake_slack, sessions, db_url, schedule="0 8 * * *", clock=None, **kw):
    settings = settings_for(fake_slack, db_url, CAM_SCHEDULE=schedule, **kw)
    notifier = Notifier(notifier_client(settings), sessions, settings)
    extra = {"clock": clock} if clock is not None else {}
    return BotScheduler(
        settings, sessions, build_gateways(settings, []), notifier, instance="test-1", **extra
    )


def daily_runs(sessions) -> list[CycleRun]:
    with sessions() as session:
        query = select(CycleRun).where(CycleRun.kind == "daily").order_by(CycleRun.id)
        return list(session.scalars(query))


def test_slot_is_the_latest_fire_time_within_grace(fake_slack, sessions, db_url):
    scheduler = make_scheduler(
        fake_slack, sessions, db_url, "0 8 * * 1-5", CAM_TIMEZONE="Europe/Berlin"
    )
    wednesday_8 = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert scheduler.slot_at(wednesday_8) == "2026-11-25T07:00:00+00:00"
    assert scheduler.slot_at(wednesday_8 + timedelta(minutes=59)) == "2026-11-25T07:00:00+00:00"
    assert scheduler.slot_at(wednesday_8 + timedelta(minutes=61)) is None
    assert scheduler.slot_at(wednesday_8 - timedelta(seconds=1)) is None


def test_next_run_time_follows_the_schedule(fake_slack, sessions, db_url):
    friday_9 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    scheduler = make_scheduler(
        fake_slack,
        sessions,
        db_url,
        "0 8 * * 1-5",
        clock=lambda: friday_9,
        CAM_TIMEZONE="Europe/Berlin",
    )
    upcoming = scheduler.next_run_time()
    assert upcoming is not None
    assert upcoming.isoformat() == "2026-11-30T08:00:00+01:00"


def test_one_cycle_and_one_report_per_slot(fake_slack, sessions, db_url):
    first = make_scheduler(fake_slack, sessions, db_url)
    second = make_scheduler(fake_slack, sessions, db_url)
    slot = "2026-11-25T08:00:00+00:00"

    report = first.run_cycle(slot)
    assert report is not None and report.cycle_id is not None
    assert second.run_cycle(slot) is None
    assert first.run_cycle(slot) is None

    (run,) = daily_runs(sessions)
    assert (run.slot, run.trigger) == (slot, "schedule")
    (post,) = fake_slack.of("chat.postMessage")
    assert post.params["channel"] == "C0REPORTS"
    assert fake_slack.violations == []


def test_a_paused_bot_runs_no_cycle_and_no_send(fake_slack, sessions, db_url):
    scheduler = make_scheduler(fake_slack, sessions, db_url)
    with unit_of_work(sessions) as session:
        set_paused(session, paused=True, by="UAPPROVER1")
    assert scheduler.run_cycle("2026-11-25T08:00:00+00:00") is None
    assert scheduler.run_send_pass() is None
    assert daily_runs(sessions) == []
    assert fake_slack.of("chat.postMessage") == []


def test_the_send_pass_runs_under_its_lease(fake_slack, sessions, db_url):
    scheduler = make_scheduler(fake_slack, sessions, db_url)
    assert leases.acquire(sessions, SEND_LEASE, "another-instance", timedelta(minutes=5))
    assert scheduler.run_send_pass() is None
    assert leases.release(sessions, SEND_LEASE, "another-instance")

    report = scheduler.run_send_pass()
    assert report is not None and report.errors == []
    # The lease was given back: another instance may send next time.
    assert leases.acquire(sessions, SEND_LEASE, "another-instance", timedelta(minutes=5))


def test_the_send_pass_expires_an_overdue_go_live_request(fake_slack, sessions, db_url):
    asked = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        approval_id = request_go_live(session, requested_by="UREQUESTER", now=asked).id
    later = asked + timedelta(hours=25)
    scheduler = make_scheduler(fake_slack, sessions, db_url, clock=lambda: later)
    assert scheduler.run_send_pass() is not None
    with sessions() as session:
        approval = session.get_one(Approval, approval_id)
        assert approval.status == ApprovalStatus.expired
        assert get_state(session).dry_run is True


@pytest.fixture
def started() -> Iterator[list[BotScheduler]]:
    running: list[BotScheduler] = []
    yield running
    for scheduler in running:
        scheduler.shutdown(wait=True)


def test_the_scheduled_job_posts_one_report(fake_slack, sessions, db_url, started):
    fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    schedule = f"{fire.second} {fire.minute} {fire.hour} * * *"
    scheduler = make_scheduler(fake_slack, sessions, db_url, schedule)
    started.append(scheduler)
    scheduler.start()
    assert scheduler.next_run_time() == fire

    (post,) = fake_slack.wait_for("chat.postMessage", 1, timeout=15)
    # Stopped, with every job that started finished, and nothing left for the notifier: no
    # second report can come.
    scheduler.shutdown(wait=True)
    assert scheduler.deliver() == 0
    assert len(fake_slack.of("chat.postMessage")) == 1
    assert post.params["text"].startswith(f"CAM report · {fire.date().isoformat()}")
    (run,) = daily_runs(sessions)
    assert run.slot == fire.isoformat()
    assert run.status.startswith("completed")


class Clock:
    """The notifier's clock: it stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def retried_at(sessions, when: datetime, timeout: float = 20.0) -> None:
    """Wait until the notifier has finished a failed attempt and set the next one at `when`."""
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as session:
            (row,) = session.scalars(select(Notification))
        if row.next_attempt_at == when:
            return
        assert time.monotonic() < deadline, f"next attempt at {row.next_attempt_at}, not {when}"
        time.sleep(0.02)


def test_a_report_held_by_an_outage_goes_out_when_slack_is_back(
    fake_slack, sessions, db_url, started
):
    fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    settings = settings_for(fake_slack, db_url, CAM_SCHEDULE=f"{fire.second} * * * * *")
    clock = Clock(fire)
    notifier = Notifier(
        notifier_client(settings), sessions, settings, clock=clock, base_delay=timedelta(seconds=5)
    )
    scheduler = BotScheduler(
        settings,
        sessions,
        build_gateways(settings, []),
        notifier,
        notify_every=timedelta(seconds=0.05),
    )
    fake_slack.fail("chat.postMessage", 503, times=2)
    fake_slack.fail("chat.postMessage", 429, retry_after=1)
    started.append(scheduler)
    scheduler.start()

    # Each failure waits its backoff, then the Retry-After Slack asked for, on the notifier's
    # clock: until it moves, the delivery job retries nothing.
    for attempt, wait in enumerate((5, 10, 1), start=1):
        fake_slack.wait_for("chat.postMessage", attempt, timeout=20)
        retried_at(sessions, clock.now + timedelta(seconds=wait))
        assert scheduler.deliver() == 0
        assert len(fake_slack.of("chat.postMessage")) == attempt
        clock.now += timedelta(seconds=wait)

    calls = fake_slack.wait_for("chat.postMessage", 4, timeout=20)
    scheduler.shutdown(wait=True)
    assert scheduler.deliver() == 0
    # The same report each time, and only the last attempt got through.
    assert len({call.params["text"] for call in calls}) == 1
    assert len(fake_slack.of("chat.postMessage")) == 4
    with sessions() as session:
        (row,) = session.scalars(select(Notification))
        assert (row.status, row.attempts) == (NotificationStatus.sent, 4)


def test_a_send_lease_left_by_a_killed_process_blocks_sending_a_minute_at_most(
    fake_slack, sessions, db_url
):
    # The process that took it was killed 61 seconds ago and renews it no more.
    killed = utcnow() - timedelta(seconds=61)
    assert leases.acquire(sessions, SEND_LEASE, "cam@old-host:4242", SEND_LEASE_TTL, killed)
    scheduler = make_scheduler(fake_slack, sessions, db_url)
    report = scheduler.run_send_pass()
    assert report is not None and report.errors == []


def test_a_cycle_killed_mid_run_is_announced_by_the_next_send_pass(fake_slack, sessions, db_url):
    now = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        # What a process killed mid-cycle leaves behind: a run that stays `running`.
        killed = CycleRun(
            kind="daily", trigger="schedule", status="running", started_at=now - timedelta(hours=2)
        )
        session.add(killed)
        session.flush()
        run_id = killed.id
    scheduler = make_scheduler(fake_slack, sessions, db_url, clock=lambda: now)
    assert scheduler.run_send_pass() is not None
    scheduler.deliver()

    (post,) = fake_slack.of("chat.postMessage")
    assert f"Cycle #{run_id}" in post.params["text"] and "stopped" in post.params["text"]
    with sessions() as session:
        assert session.get_one(CycleRun, run_id).status == "interrupted"
    assert scheduler.run_send_pass() is not None
    scheduler.deliver()
    assert len(fake_slack.of("chat.postMessage")) == 1  # announced once


def test_a_send_of_unknown_outcome_found_by_a_later_pass_is_posted(fake_slack, sessions, db_url):
    now = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        lead = Lead(email="ada@acme.example", domain="acme.example", status=LeadStatus.scheduled)
        campaign = Campaign(key="c1", name="Campaign")
        session.add_all([lead, campaign])
        session.flush()
        # Claimed by a sender that died between handing the mail to SMTP and recording it.
        session.add(
            OutreachMessage(
                lead_id=lead.id,
                campaign_id=campaign.id,
                step=1,
                channel=Channel.email,
                scheduled_at=now - timedelta(days=1),
                status=OutreachStatus.sending,
                claimed_by="cam@old-host:4242",
                claimed_at=now - timedelta(days=1),
            )
        )
    scheduler = make_scheduler(fake_slack, sessions, db_url, clock=lambda: now)
    report = scheduler.run_send_pass()
    assert report is not None and report.unknown_outcomes == 1
    scheduler.deliver()

    (post,) = fake_slack.of("chat.postMessage")
    assert "unknown outcome" in str(post.params["blocks"])
