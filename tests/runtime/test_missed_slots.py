"""Slots a sleeping process missed: made up once on start, the same team day only, said late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.notifier import Notifier, notifier_client
from bot.scheduler import BotScheduler
from cam.core.db import unit_of_work
from cam.core.models import CycleRun, DigestRun, RunKind, RunStatus
from cam.gateways.factory import build_gateways
from tests.e2e.slack_client import settings_for

ZONE = "Europe/Berlin"
# Wednesday 25 November 2026: 08:00 in Berlin is 07:00 UTC, 17:30 is 16:30 UTC.
TODAY_8 = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
YESTERDAY_8 = TODAY_8 - timedelta(days=1)


def make(fake_slack, sessions, db_url, at: datetime, instance: str = "one") -> BotScheduler:
    settings = settings_for(
        fake_slack,
        db_url,
        CAM_SCHEDULE="0 8 * * mon-fri",
        CAM_DIGEST_SCHEDULE="30 17 * * mon-fri",
        CAM_TIMEZONE=ZONE,
    )
    notifier = Notifier(notifier_client(settings), sessions, settings, clock=lambda: at)
    return BotScheduler(
        settings,
        sessions,
        build_gateways(settings, []),
        notifier,
        instance=instance,
        clock=lambda: at,
    )


def ran_yesterday(sessions) -> None:
    """What a live deployment leaves: yesterday's scheduled cycle."""
    with unit_of_work(sessions) as session:
        session.add(
            CycleRun(
                kind=RunKind.daily,
                slot=YESTERDAY_8.isoformat(),
                trigger="schedule",
                status=RunStatus.completed,
                started_at=YESTERDAY_8,
                finished_at=YESTERDAY_8 + timedelta(minutes=1),
            )
        )


def daily_slots(sessions) -> list[str | None]:
    with sessions() as session:
        query = select(CycleRun.slot).where(CycleRun.kind == RunKind.daily).order_by(CycleRun.id)
        return list(session.scalars(query))


@pytest.fixture
def started() -> Iterator[list[BotScheduler]]:
    running: list[BotScheduler] = []
    yield running
    for scheduler in running:
        scheduler.shutdown(wait=True)


def test_a_cycle_slept_through_runs_once_on_start_and_says_late(
    fake_slack, sessions, db_url, started
):
    ran_yesterday(sessions)
    scheduler = make(fake_slack, sessions, db_url, TODAY_8 + timedelta(hours=3))
    started.append(scheduler)
    scheduler.start()

    (post,) = fake_slack.wait_for("chat.postMessage", 1, timeout=15)
    assert "ran late, due <!date^" in str(post.params["blocks"])
    assert f"|{TODAY_8:%Y-%m-%d %H:%M} UTC>" in str(post.params["blocks"])
    assert daily_slots(sessions) == [YESTERDAY_8.isoformat(), TODAY_8.isoformat()]
    # Made up once: looking again (another instance, or a second wake) finds it done.
    other = make(fake_slack, sessions, db_url, TODAY_8 + timedelta(hours=4), "two")
    assert other.missed_slots() == (None, None)
    assert other.run_cycle(TODAY_8.isoformat(), late=True) is None
    assert len(daily_slots(sessions)) == 2


def test_nothing_is_made_up_before_the_slot(fake_slack, sessions, db_url):
    ran_yesterday(sessions)
    scheduler = make(fake_slack, sessions, db_url, TODAY_8 - timedelta(minutes=30))
    assert scheduler.catch_up() == (None, None)
    assert daily_slots(sessions) == [YESTERDAY_8.isoformat()]


def test_nothing_is_made_up_when_the_slot_ran(fake_slack, sessions, db_url):
    ran_yesterday(sessions)
    on_time = make(fake_slack, sessions, db_url, TODAY_8 + timedelta(seconds=5))
    report = on_time.run_cycle(TODAY_8.isoformat())
    assert report is not None and report.due_at is None

    later = make(fake_slack, sessions, db_url, TODAY_8 + timedelta(hours=3))
    assert later.catch_up() == (None, None)
    assert len(daily_slots(sessions)) == 2
    # The on-time report says nothing of being late.
    assert "ran late" not in str(fake_slack.of("chat.postMessage")[0].params)


def test_a_run_by_hand_after_the_slot_counts_as_the_day_s_run(fake_slack, sessions, db_url):
    ran_yesterday(sessions)
    with unit_of_work(sessions) as session:
        at_9 = TODAY_8 + timedelta(hours=1)
        session.add(CycleRun(kind=RunKind.daily, trigger="cli", started_at=at_9))
    scheduler = make(fake_slack, sessions, db_url, TODAY_8 + timedelta(hours=3))
    assert scheduler.missed_slots() == (None, None)


def test_a_fresh_database_makes_nothing_up(fake_slack, sessions, db_url):
    scheduler = make(fake_slack, sessions, db_url, TODAY_8 + timedelta(hours=11))
    assert scheduler.catch_up() == (None, None)
    assert daily_slots(sessions) == []


def test_yesterday_s_slot_is_not_made_up_the_next_team_day(fake_slack, sessions, db_url):
    ran_yesterday(sessions)
    # 00:30 on Thursday in Berlin: Wednesday's 08:00 was missed, but that day is over.
    scheduler = make(fake_slack, sessions, db_url, datetime(2026, 11, 25, 23, 30, tzinfo=UTC))
    assert scheduler.missed_slots() == (None, None)


def test_a_digest_slept_through_is_posted_once_and_says_late(fake_slack, sessions, db_url):
    digest_8 = TODAY_8 + timedelta(hours=9, minutes=30)  # 17:30 in Berlin
    yesterday = make(fake_slack, sessions, db_url, digest_8 - timedelta(days=1, seconds=-5))
    assert yesterday.run_digest((digest_8 - timedelta(days=1)).isoformat()) is not None
    ran_yesterday(sessions)
    # Today's cycle ran on time; the process then slept through the digest.
    assert make(fake_slack, sessions, db_url, TODAY_8).run_cycle(TODAY_8.isoformat())
    posts = len(fake_slack.of("chat.postMessage"))

    woken = make(fake_slack, sessions, db_url, digest_8 + timedelta(hours=2))
    report, digest_id = woken.catch_up()
    assert report is None and digest_id is not None
    (post,) = fake_slack.of("chat.postMessage")[posts:]
    assert "ran late, due" in str(post.params["blocks"])
    with sessions() as session:
        slots = list(session.scalars(select(DigestRun.slot).order_by(DigestRun.id)))
    assert slots[-1] == digest_8.isoformat() and len(slots) == 2
    assert woken.catch_up() == (None, None)
