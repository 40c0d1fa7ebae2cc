"""The one backoff rule: doubling from the first wait, capped, with jitter only taken off."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from cam.core.backoff import Backoff


def test_the_wait_doubles_from_the_first_and_stops_at_the_cap():
    backoff = Backoff(first=5, cap=60)
    assert [backoff.delay(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff.delay(0) == 5  # no failure counted yet: the first wait, never less
    assert backoff.delay(10_000) == 60  # a long outage neither overflows nor passes the cap


def test_without_a_cap_it_keeps_growing_by_its_factor():
    assert [Backoff(first=0.5).delay(n) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 4]
    assert Backoff(first=1, factor=3).delay(3) == 9


def test_stored_retry_times_count_from_the_callers_clock():
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    backoff = Backoff(first=timedelta(minutes=15).total_seconds())
    assert backoff.delta(3) == timedelta(hours=1)
    assert backoff.after(1, now) == now + timedelta(minutes=15)


def test_jitter_takes_at_most_its_share_off_and_follows_the_random_source():
    backoff = Backoff(first=10, cap=40, jitter=0.5)
    waits = [backoff.delay(3, random.Random(seed)) for seed in range(200)]
    assert all(20 <= wait <= 40 for wait in waits)
    assert len(set(waits)) > 100  # spread out, not one value
    assert backoff.delay(3, random.Random(7)) == backoff.delay(3, random.Random(7))


@pytest.mark.parametrize(
    "fields",
    [
        {"first": -1},
        {"first": 1, "cap": -1},
        {"first": 1, "factor": 0.5},
        {"first": 1, "jitter": 2},
    ],
)
def test_a_backoff_that_would_wait_less_or_negative_is_refused(fields):
    with pytest.raises(ValueError):
        Backoff(**fields)
