"""Build the digest of a day, or of a week against the week before, from the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import reduce

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.config import CAMCycleConfig
from cam.core.models import OutreachMessage, OutreachStatus
from cam.core.safety import end_of_team_day, team_day
from cam.core.state import get_state
from cam.digest.counts import daily_funnels, day_bounds
from cam.digest.model import ChannelUse, DayPoint, Digest, DigestKind, Funnel
from cam.digest.rates import rates
from cam.digest.waiting import waiting
from cam.outreach.limits import limits_snapshot

# The chart's span; it also holds a week and the week before it.
CHART_DAYS = 14
WEEK = 7


def build_digest(
    session: Session,
    *,
    config: CAMCycleConfig,
    now: datetime,
    day: date | None = None,
    kind: DigestKind = DigestKind.daily,
) -> Digest:
    """Count the period ending on `day` (today in the team's zone by default).

    The funnel and chart are about the period; what waits and the limits are as of `now`.
    """
    last = day if day is not None else team_day(now, config.timezone)
    first_charted = last - timedelta(days=CHART_DAYS - 1)
    funnels = daily_funnels(session, day_bounds(first_charted, CHART_DAYS, config.timezone))
    span = WEEK if kind is DigestKind.weekly else 1
    current = _total(funnels[-span:])
    return Digest(
        kind=kind,
        first_day=last - timedelta(days=span - 1),
        last_day=last,
        timezone=config.timezone,
        generated_at=now,
        dry_run=config.dry_run,
        paused=get_state(session).paused,
        funnel=current,
        previous=_total(funnels[-2 * span : -span]),
        rates=rates(current),
        waiting=waiting(session),
        limits=_limits(session, config, now),
        series=[
            DayPoint(
                day=first_charted + timedelta(days=offset),
                sent=funnel.sent,
                replies=funnel.replies,
                interested=funnel.interested,
                bounces=funnel.bounced,
            )
            for offset, funnel in enumerate(funnels)
        ],
    )


def _total(funnels: list[Funnel]) -> Funnel:
    return reduce(Funnel.plus, funnels, Funnel())


def _limits(session: Session, config: CAMCycleConfig, now: datetime) -> list[ChannelUse]:
    """Today's use of each channel's cap, and the due steps it (or the window) holds back."""
    snapshot = limits_snapshot(session, config, now)
    due = dict(
        session.execute(
            select(OutreachMessage.channel, func.count())
            .where(
                OutreachMessage.status == OutreachStatus.planned,
                OutreachMessage.scheduled_at <= now,
            )
            .group_by(OutreachMessage.channel)
        ).all()
    )
    tomorrow = end_of_team_day(now, config.timezone)
    return [
        ChannelUse(
            channel=channel.channel,
            used_today=channel.used_today,
            cap_today=channel.cap_today,
            held_back=int(due.get(channel.channel, 0)),
            held_until=tomorrow if channel.remaining == 0 and due.get(channel.channel) else None,
        )
        for channel in snapshot.channels
    ]
