"""The digest's numbers on both databases: every day of 20 seeded ones, exactly, in Berlin."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.digest.build import build_digest
from cam.digest.counts import daily_funnels, day_bounds
from cam.digest.model import DigestKind, Funnel, RateName
from tests.digest.seed import DAYS, DST_DAY, FIRST_DAY, LAST_DAY, TEAM_ZONE, local, seed


@pytest.fixture
def seeded(sessions):
    return seed(sessions)


def test_each_day_counts_what_happened_on_it_in_the_team_zone(sessions, seeded):
    with unit_of_work(sessions) as session:
        funnels = daily_funnels(session, day_bounds(FIRST_DAY, DAYS, TEAM_ZONE))
    for offset, funnel in enumerate(funnels):
        day = FIRST_DAY + timedelta(days=offset)
        assert funnel == seeded.expected(day), day


def test_the_day_summer_time_ends_has_25_hours_and_its_edges(sessions, seeded):
    bounds = day_bounds(DST_DAY, 2, TEAM_ZONE)
    assert [b - a for a, b in itertools.pairwise(bounds)] == [
        timedelta(hours=25),
        timedelta(hours=24),
    ]
    with unit_of_work(sessions) as session:
        sunday, monday = daily_funnels(session, bounds)
    # 11 % 5 + 3 = 4 daytime leads, plus 00:30 CEST and 23:30 CET; Monday 12 % 5 + 3 = 5
    # and 00:30 CET (23:30 UTC on Sunday).
    assert (sunday.new_leads, monday.new_leads) == (6, 6)
    assert sunday == seeded.expected(DST_DAY)
    assert monday == seeded.expected(DST_DAY + timedelta(days=1))
    # Counted in UTC days, Monday would lose its 00:30 lead to Sunday.
    utc_monday = [datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)]
    with unit_of_work(sessions) as session:
        (in_utc,) = daily_funnels(session, utc_monday)
    assert in_utc.new_leads == 5


def test_the_week_in_review_sums_seven_days_against_the_seven_before(sessions, seeded):
    config = CAMCycleConfig(timezone=TEAM_ZONE, dry_run=False)
    now = local(LAST_DAY, 17, 30)
    with unit_of_work(sessions) as session:
        digest = build_digest(session, config=config, now=now, day=LAST_DAY, kind=DigestKind.weekly)
    week = [LAST_DAY - timedelta(days=n) for n in range(7)]
    before = [day - timedelta(days=7) for day in week]
    total, previous = Funnel(), Funnel()
    for day in week:
        total = total.plus(seeded.expected(day))
    for day in before:
        previous = previous.plus(seeded.expected(day))
    assert (digest.first_day, digest.last_day) == (LAST_DAY - timedelta(days=6), LAST_DAY)
    assert digest.funnel == total
    assert digest.previous == previous
    assert [point.day for point in digest.series] == [
        LAST_DAY - timedelta(days=13 - n) for n in range(14)
    ]
    assert sum(point.sent for point in digest.series) == total.sent + previous.sent
    bounce = next(rate for rate in digest.rates if rate.name is RateName.bounce)
    assert (bounce.count, bounce.sent) == (total.bounced, total.sent)
    assert bounce.warning  # 1 in 5 bounces in the seed: far above 2 %
    spam = next(rate for rate in digest.rates if rate.name is RateName.spam)
    assert spam.count is None and not spam.warning


def test_the_day_digest_compares_with_the_day_before(sessions, seeded):
    config = CAMCycleConfig(timezone=TEAM_ZONE, dry_run=False)
    with unit_of_work(sessions) as session:
        digest = build_digest(session, config=config, now=local(DST_DAY, 23, 45), day=DST_DAY)
    assert digest.funnel == seeded.expected(DST_DAY)
    assert digest.previous == seeded.expected(DST_DAY - timedelta(days=1))
    assert digest.funnel.sent == sum(digest.funnel.sent_by_step.values())
