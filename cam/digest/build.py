"""Build the digest of a day, or of a week against the week before, from the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import reduce

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.config import CAMCycleConfig
from cam.core.models import Event, OutreachMessage, OutreachStatus, ReplyClass
from cam.core.safety import end_of_team_day, team_day
from cam.core.state import get_state
from cam.digest.bounce_reasons import bounce_groups
from cam.digest.counts import MailboxDays, daily_funnels, day_bounds
from cam.digest.model import ChannelUse, DayPoint, Digest, DigestKind, Funnel, Unanswered
from cam.digest.rates import rates
from cam.digest.reps import rep_rows, with_answers
from cam.digest.waiting import waiting
from cam.outreach.limits import LimitsSnapshot, limits_snapshot
from cam.replies.event_payloads import BounceUnverified
from cam.replies.speed import speed_to_lead, unanswered

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
    bounds = day_bounds(first_charted, CHART_DAYS, config.timezone)
    sends: dict[str, MailboxDays] = {}
    funnels = daily_funnels(session, bounds, sends)
    span = WEEK if kind is DigestKind.weekly else 1
    current = _total(funnels[-span:])
    snapshot = limits_snapshot(session, config, now)
    start, end = bounds[-span - 1], bounds[-1]
    speed = speed_to_lead(session, start, end)
    send_days = config.safety_settings.send_window.weekdays
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
        limits=_limits(session, snapshot, now),
        series=[
            _point(first_charted + timedelta(days=offset), funnel, send_days)
            for offset, funnel in enumerate(funnels)
        ],
        reps=with_answers(rep_rows(session, snapshot, bounds, span, sends), speed),
        bounce_reasons=bounce_groups(session, start, end),
        unverified_notices=_unverified(session, start, end),
        speed=speed,
        unanswered=[
            Unanswered(
                reply_id=w.reply_id,
                lead_name=w.lead_name,
                mailbox=w.mailbox,
                landed_at=w.landed_at,
                due_at=w.due_at,
            )
            for w in unanswered(session, config, now, config.answer_within_hours)
        ],
    )


def _unverified(session: Session, start: datetime, end: datetime) -> int:
    """Bounce notices that named no recipient we mailed: stored, trusted by nobody."""
    query = select(func.count()).where(
        Event.name == BounceUnverified.name, Event.created_at >= start, Event.created_at < end
    )
    return session.scalar(query) or 0


def _point(day: date, funnel: Funnel, send_days: frozenset[int]) -> DayPoint:
    by_class = funnel.replies_by_class
    return DayPoint(
        day=day,
        sent=funnel.sent,
        simulated=funnel.simulated,
        replies=funnel.replies,
        interested=funnel.interested,
        question=by_class.get(ReplyClass.question, 0),
        not_interested=by_class.get(ReplyClass.not_interested, 0),
        opt_out=by_class.get(ReplyClass.unsubscribe, 0),
        bounces=funnel.bounced,
        off=day.weekday() not in send_days,
    )


def _total(funnels: list[Funnel]) -> Funnel:
    return reduce(Funnel.plus, funnels, Funnel())


def _limits(session: Session, snapshot: LimitsSnapshot, now: datetime) -> list[ChannelUse]:
    """Today's use of each channel's cap, and the due steps it (or the window) holds back."""
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
    tomorrow = end_of_team_day(now, snapshot.timezone)
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
