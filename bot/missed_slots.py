"""Slots of the daily cycle and the digest that a sleeping process missed, made up on waking.

APScheduler runs a job only while the process is awake: on a platform that sleeps idle web
processes (or a host that was suspended) the 08:00 cycle simply does not happen. On start and
whenever APScheduler reports a job's time as missed, the scheduler looks for the latest slot
of the current team day that has passed and runs it once, late, under the same claim as an
on-time run (the unique slot of its run row), so no instance runs it twice.

The rule: a slot is made up when it is of today's team day (`CAM_TIMEZONE`), it has passed,
and the last known run (the latest daily cycle or digest in the database, whatever started
it) began before it. A database with no run at all is a fresh install, not a sleeping one:
nothing is made up and the first run is the next slot (so starting `cam-bot` for the first
time, or in a test, never starts a cycle whatever the hour). A run someone started by hand
after the slot counts as that day's run.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger


def latest_fire(trigger: CronTrigger, now: datetime, *, since: datetime) -> datetime | None:
    """The latest fire time of `trigger` in `[since, now]`, or None."""
    latest: datetime | None = None
    fire = trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return latest


def missed_slot(
    trigger: CronTrigger, now: datetime, zone: ZoneInfo, last_run: datetime | None
) -> str | None:
    """The slot (UTC ISO) of today's team day to run late, by the rule above; else None."""
    if last_run is None:
        return None
    midnight = datetime.combine(now.astimezone(zone).date(), time(), zone)
    fire = latest_fire(trigger, now, since=midnight)
    if fire is None or last_run >= fire:
        return None
    return slot_name(fire)


def slot_name(fire: datetime) -> str:
    """Name a fire time as run rows store it: UTC, ISO."""
    return fire.astimezone(UTC).isoformat()
