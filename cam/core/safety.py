"""The limits every send obeys, counted in the database: caps, warm-up, window, blocks.

Counters live in `SendQuota`, one row per scope and window, bumped by a conditional UPDATE
(`used = used + 1 WHERE used < cap`), so a cap holds across passes, restarts and instances.
Dry runs count in `dry:` scopes, live sends in `live:` scopes: a simulation never uses up
the real allowance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cam.core import bulk
from cam.core.config import SafetySettings, SendWindow
from cam.core.enums import SendMode
from cam.core.models import Channel, SendQuota, Suppression, SuppressionKind, SuppressionSource


@lru_cache(maxsize=512)
def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """Return the zone called `name`, or `fallback` when it is empty or unknown."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


# --- send window -------------------------------------------------------------------------


def in_send_window(now: datetime, tz: ZoneInfo, window: SendWindow) -> bool:
    """Tell whether `now` falls in the window, in the recipient's local time."""
    local = now.astimezone(tz)
    return local.weekday() in window.weekdays and window.start <= local.time() < window.end


def window_on(day: date, tz: ZoneInfo, window: SendWindow) -> tuple[datetime, datetime] | None:
    """Return the window of a local `day` in UTC, or None on a day without one."""
    if day.weekday() not in window.weekdays:
        return None
    start = datetime.combine(day, window.start, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day, window.end, tzinfo=tz).astimezone(UTC)
    return start, end


def windows_from(
    now: datetime, tz: ZoneInfo, window: SendWindow, days: int = 14
) -> Iterable[tuple[datetime, datetime]]:
    """Yield the windows still open at or after `now`, earliest first, cut to start at `now`."""
    today = now.astimezone(tz).date()
    for offset in range(days):
        bounds = window_on(today + timedelta(days=offset), tz, window)
        if bounds is None or bounds[1] <= now:
            continue
        yield max(bounds[0], now), bounds[1]


def next_window_start(now: datetime, tz: ZoneInfo, window: SendWindow) -> datetime:
    """Return `now` if the window is open, else when it next opens."""
    for start, _end in windows_from(now, tz, window):
        return start
    raise ValueError("the send window has no weekday")


# --- days and warm-up ----------------------------------------------------------------------


def team_day(moment: datetime, timezone: str) -> date:
    """Return the day `moment` falls on in the team's time zone: caps count per that day."""
    return moment.astimezone(zone(timezone)).date()


def end_of_team_day(moment: datetime, timezone: str) -> datetime:
    """Return the first instant of the next team day, in UTC."""
    return team_day_bounds(team_day(moment, timezone), timezone)[1]


def team_day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """Return the first instant of the team day and of the next, in UTC (DST-safe)."""
    tz = zone(timezone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def channel_cap(
    safety: SafetySettings, channel: Channel, day: date, started_on: date | None
) -> int:
    """Return the channel's cap on `day`, on the warm-up ramp counted from `started_on`.

    A mailbox that has not sent for real yet would start today: day 0 of the ramp.
    """
    limits = safety.channels.get(channel)
    if limits is None:
        return 0
    days = (day - started_on).days if started_on is not None else 0
    return limits.cap_on_day(days)


# --- blocks and suppression ------------------------------------------------------------------


def domain_of(email: str) -> str:
    """Return the lower-case domain of an address, or '' when it has none."""
    _, at, domain = email.strip().rpartition("@")
    return domain.lower().rstrip(".") if at else ""


def domain_suffixes(domain: str) -> list[str]:
    """Return the domain and each parent (`a.b.com` -> `a.b.com`, `b.com`, `com`)."""
    parts = domain.lower().split(".")
    return [".".join(parts[i:]) for i in range(len(parts)) if parts[i]]


def blocked_by(domain: str, blocked: Iterable[str]) -> str | None:
    """Return the blocked domain that covers `domain` (itself or a parent), if any."""
    listed = {entry.strip().lower().lstrip("@") for entry in blocked}
    for suffix in domain_suffixes(domain):
        if suffix in listed:
            return suffix
    return None


def suppressed_domains(session: Session) -> set[str]:
    """Return every suppressed domain, lower case (a short list: whole companies)."""
    values = session.scalars(
        select(func.lower(Suppression.value)).where(Suppression.kind == SuppressionKind.domain)
    )
    return set(values)


def suppression_reason(session: Session, email: str) -> str | None:
    """Return why `email` (or its domain, or a parent domain) must not be contacted."""
    address = email.strip().lower()
    value = func.lower(Suppression.value)
    hit = session.execute(
        select(Suppression.kind, Suppression.value, Suppression.reason)
        .where(
            ((Suppression.kind == SuppressionKind.email) & (value == address))
            | (
                (Suppression.kind == SuppressionKind.domain)
                & value.in_(domain_suffixes(domain_of(address)))
            )
        )
        .limit(1)
    ).first()
    if hit is None:
        return None
    kind, suppressed, reason = hit
    return f"suppressed {kind} {suppressed}" + (f": {reason}" if reason else "")


@dataclass(frozen=True)
class Grounds:
    """What a suppression is decided on, as the ledger keeps it: nothing is suppressed without."""

    source: SuppressionSource
    # What the database holds to show it: the phrase, the returned Message-ID and status, ...
    evidence: str = ""
    # The person who confirmed or clicked, for a decision a person took.
    decided_by: str | None = None
    # The reply behind it, when there is one.
    reply_id: int | None = None


def suppress(
    session: Session, kind: SuppressionKind, value: str, reason: str, grounds: Grounds
) -> bool:
    """Add a suppression (lower case) with its grounds unless it exists; True when added."""
    row = {
        "kind": kind,
        "value": value.strip().lower(),
        "reason": reason[:500],
        "source": grounds.source,
        "evidence": grounds.evidence[:1000],
        "decided_by": grounds.decided_by,
        "reply_id": grounds.reply_id,
    }
    return bool(bulk.insert_ignoring(session, Suppression, [row], returning=[Suppression.id]))


# --- quotas ----------------------------------------------------------------------------------


def ensure_quota(session: Session, scope: str, window: str) -> None:
    """Create the counter row if missing; two instances racing both succeed."""
    bulk.insert_ignoring(session, SendQuota, [{"scope": scope, "window": window, "used": 0}])


def reserve(session: Session, scope: str, window: str, cap: int) -> bool:
    """Take one unit of `scope` in `window` if it stays within `cap`: atomic, race-safe."""
    if cap <= 0:
        return False
    ensure_quota(session, scope, window)
    result = session.execute(
        update(SendQuota)
        .where(SendQuota.scope == scope, SendQuota.window == window, SendQuota.used < cap)
        .values(used=SendQuota.used + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, scope: str, window: str) -> None:
    """Give back one unit taken by `reserve` (a send that did not happen)."""
    session.execute(
        update(SendQuota)
        .where(SendQuota.scope == scope, SendQuota.window == window, SendQuota.used > 0)
        .values(used=SendQuota.used - 1)
        .execution_options(synchronize_session=False)
    )


def reserve_up_to(session: Session, scope: str, window: str, cap: int, wanted: int) -> int:
    """Take up to `wanted` units within `cap` under a row lock; return how many were taken."""
    if wanted <= 0 or cap <= 0:
        return 0
    ensure_quota(session, scope, window)
    used = session.scalar(
        select(SendQuota.used)
        .where(SendQuota.scope == scope, SendQuota.window == window)
        .with_for_update()
    )
    granted = max(0, min(wanted, cap - (used or 0)))
    if granted:
        session.execute(
            update(SendQuota)
            .where(SendQuota.scope == scope, SendQuota.window == window)
            .values(used=SendQuota.used + granted)
            .execution_options(synchronize_session=False)
        )
    return granted


def quota_used(session: Session, scope: str, window: str) -> int:
    used = session.scalar(
        select(SendQuota.used).where(SendQuota.scope == scope, SendQuota.window == window)
    )
    return int(used or 0)


def channel_scope(mode: SendMode, channel: Channel) -> str:
    return f"{mode.value}:{channel.value}"


def hourly_scope(mode: SendMode, channel: Channel) -> str:
    return f"{mode.value}:{channel.value}:hour"


def domain_scope(mode: SendMode, domain: str) -> str:
    return f"{mode.value}:domain:{domain.lower()}"


def day_window(day: date) -> str:
    return day.isoformat()


def hour_window(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%dT%H")
