"""The snapshot `/cam limits`, `cam limits`, App Home and the digest show: room left today.

Each channel's cap (on its warm-up ramp), what is used of it today and this hour, and, for a
team with a mailboxes file, the same for each mailbox and whether it is paused alone. Read from
the quota counters the send pass bumps, so it shows what the database will allow.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.config import CAMCycleConfig, ChannelLimitConfig, SendWindow
from cam.core.models import Channel, SendQuota, Suppression
from cam.core.safety import (
    channel_cap,
    channel_scope,
    day_window,
    hour_window,
    hourly_scope,
    team_day,
)
from cam.core.state import get_state
from cam.outreach import sender_mailboxes


class DailyUse(BaseModel):
    """A cap today and this hour, and what is used of each."""

    cap_today: int
    used_today: int
    remaining: int
    hourly_cap: int | None
    used_this_hour: int
    # Day of the warm-up ramp (0 = first day), None when there is no ramp.
    warmup_day: int | None


class ChannelLimits(DailyUse):
    channel: Channel


class MailboxLimits(DailyUse):
    """One sender mailbox's room today."""

    key: str
    address: str
    # The Slack user ID of its owner ("" when none is named).
    owner: str
    active: bool
    paused: bool


class LimitsSnapshot(BaseModel):
    dry_run: bool
    day: date
    timezone: str
    channels: list[ChannelLimits]
    # Empty for a team without a mailboxes file: its one mailbox is the email channel.
    mailboxes: list[MailboxLimits] = []
    per_domain_daily_cap: int
    send_window: SendWindow
    blocked_domains: int
    suppressions: int


def limits_snapshot(session: Session, config: CAMCycleConfig, now: datetime) -> LimitsSnapshot:
    """Return each channel's and each mailbox's cap today (warm-up aware) and use."""
    safety = config.safety_settings
    day = team_day(now, config.timezone)
    today, this_hour = day_window(day), hour_window(now, config.timezone)
    rows = session.execute(
        select(SendQuota.scope, SendQuota.window, SendQuota.used).where(
            SendQuota.window.in_([today, this_hour])
        )
    ).all()
    used = {(scope, window): count for scope, window, count in rows}
    started_on = get_state(session).mailbox_started_on
    mailboxes = _mailboxes(session, config, day, used, this_hour)
    channels = []
    for channel, limits in sorted(safety.channels.items()):
        if channel is Channel.email and mailboxes:
            channels.append(_team_email(mailboxes))
            continue
        cap = channel_cap(safety, channel, day, started_on)
        used_today = used.get((channel_scope(config.mode, channel), today), 0)
        channels.append(
            ChannelLimits(
                channel=channel,
                cap_today=cap,
                used_today=used_today,
                remaining=max(cap - used_today, 0),
                hourly_cap=limits.hourly_cap,
                used_this_hour=used.get((hourly_scope(config.mode, channel), this_hour), 0),
                warmup_day=_ramp_day(limits, day, started_on),
            )
        )
    return LimitsSnapshot(
        dry_run=config.dry_run,
        day=day,
        timezone=config.timezone,
        channels=channels,
        mailboxes=mailboxes,
        per_domain_daily_cap=safety.per_domain_daily_cap,
        send_window=safety.send_window,
        blocked_domains=len(safety.blocked_domains),
        suppressions=session.scalar(select(func.count(Suppression.id))) or 0,
    )


def _mailboxes(
    session: Session,
    config: CAMCycleConfig,
    day: date,
    used: dict[tuple[str, str], int],
    this_hour: str,
) -> list[MailboxLimits]:
    if not config.mailboxes:
        return []
    paused = sender_mailboxes.paused_keys(session)
    found = []
    for sender in config.senders():
        started_on = sender_mailboxes.started_on(session, sender.key)
        cap = sender.limits.cap_on_day((day - started_on).days if started_on else 0)
        used_today = used.get((sender_mailboxes.scope(config.mode, sender.key), day_window(day)), 0)
        hour_scope = sender_mailboxes.hour_scope(config.mode, sender.key)
        found.append(
            MailboxLimits(
                key=sender.key,
                address=sender.address,
                owner=sender.owner,
                active=sender.active,
                paused=sender.key in paused,
                cap_today=cap,
                used_today=used_today,
                remaining=max(cap - used_today, 0),
                hourly_cap=sender.limits.hourly_cap,
                used_this_hour=used.get((hour_scope, this_hour), 0),
                warmup_day=_ramp_day(sender.limits, day, started_on),
            )
        )
    return found


def _team_email(mailboxes: list[MailboxLimits]) -> ChannelLimits:
    """Email as the sum of the team's mailboxes: the channel's own caps do not apply to them."""
    return ChannelLimits(
        channel=Channel.email,
        cap_today=sum(m.cap_today for m in mailboxes),
        used_today=sum(m.used_today for m in mailboxes),
        remaining=sum(m.remaining for m in mailboxes),
        hourly_cap=None,
        used_this_hour=sum(m.used_this_hour for m in mailboxes),
        warmup_day=None,
    )


def _ramp_day(limits: ChannelLimitConfig, day: date, started_on: date | None) -> int | None:
    """The day of the warm-up ramp (0 = first), or None when there is no ramp."""
    if limits.warmup_start is None:
        return None
    return (day - started_on).days if started_on is not None else 0
