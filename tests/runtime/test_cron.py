"""CAM_SCHEDULE parsing: five or six fields, crontab weekday numbers, clear errors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cron import schedule_trigger

BERLIN = ZoneInfo("Europe/Berlin")


def fires(expr: str, start: datetime, count: int) -> list[datetime]:
    trigger = schedule_trigger(expr, BERLIN)
    found: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        found.append(fire)
        previous = fire
        now = fire
    return found


def test_numeric_weekdays_mean_what_crontab_means():
    # Wednesday 25 November 2026: the next weekday runs are Wed, Thu, Fri, then Monday.
    start = datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    days = [fire.strftime("%a %d") for fire in fires("0 8 * * 1-5", start, 4)]
    assert days == ["Thu 26", "Fri 27", "Mon 30", "Tue 01"]
    assert [f.strftime("%a") for f in fires("0 8 * * 0", start, 2)] == ["Sun", "Sun"]
    assert [f.strftime("%a") for f in fires("0 8 * * 7", start, 1)] == ["Sun"]
    assert fires("0 8 * * mon-fri", start, 4) == fires("0 8 * * 1-5", start, 4)
    assert fires("0 8 * * 0-6", start, 7) == fires("0 8 * * *", start, 7)


def test_six_fields_put_seconds_first():
    start = datetime(2026, 11, 25, 9, 0, 0, tzinfo=BERLIN)
    first, second = fires("*/15 * * * * *", start, 2)
    assert (first.second, second.second) == (0, 15)
    (exact,) = fires("30 5 10 * * *", start, 1)
    assert (exact.hour, exact.minute, exact.second) == (10, 5, 30)


def test_time_zone_and_daylight_saving():
    (fire,) = fires("0 8 * * *", datetime(2027, 3, 28, 0, 0, tzinfo=BERLIN), 1)
    assert fire.isoformat() == "2027-03-28T08:00:00+02:00"


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("0 8 * *", "got 4"),
        ("1 2 3 4 5 6 7", "got 7"),
        ("0 8 * * 1-mon", "not both"),
        ("0 8 * * 5-1", "in order"),
        ("0 8 * * 9", "0-7"),
        ("0 25 * * *", "maximum value"),
    ],
)
def test_bad_schedules_say_why(expr, words):
    with pytest.raises(ValueError, match=words):
        schedule_trigger(expr)
