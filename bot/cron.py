"""`CAM_SCHEDULE` as cron: five fields, or six with seconds first, with crontab's weekdays.

APScheduler 3 numbers weekdays from Monday = 0, crontab from Sunday = 0 (and 7): a numeric
weekday field is translated, so `0 8 * * 1-5` means Monday to Friday as in any crontab.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def schedule_trigger(expr: str, timezone: str | tzinfo | None = None) -> CronTrigger:
    """Return the trigger for `expr`; raise ValueError saying what is wrong with it."""
    fields = expr.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(
            f"expected 5 fields (minute hour day month weekday) or 6 (seconds first), "
            f"got {len(fields)}"
        )
    second, minute, hour, day, month, weekday = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_crontab_weekdays(weekday),
        timezone=timezone,
    )


def _crontab_weekdays(field: str) -> str:
    """Spell a numeric crontab weekday field with day names; leave names and `*` as they are."""
    if field in ("*", "?") or not any(char.isdigit() for char in field.split("/")[0]):
        return field
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        if step_text and not step_text.isdigit():
            raise ValueError(f"bad weekday step in {part!r}")
        step = int(step_text or 1)
        if step < 1:
            raise ValueError(f"bad weekday step in {part!r}")
        if base == "*":
            first, last = 0, 6
        else:
            start, _, end = base.partition("-")
            if not start.isdigit() or (end and not end.isdigit()):
                raise ValueError(f"weekday {part!r}: use numbers 0-7 or names, not both")
            first, last = int(start), int(end) if end else int(start)
            if last > 7 or first > last:
                raise ValueError(f"weekday range {part!r} must lie within 0-7, in order")
            if not end and step_text:
                last = 6
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))
