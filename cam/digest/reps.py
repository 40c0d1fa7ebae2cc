"""The digest per rep: each sender mailbox's sends, replies, bounces and cap over the period.

Three aggregate queries, each joined to the lead that names the mailbox: sends by chart day
(the period's totals are its last days), and the period's replies and refusals at send time;
the caps come from the limits snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus, Reply, ReplyClass
from cam.digest.counts import REJECTED_PREFIX, day_index
from cam.digest.model import RepRow
from cam.outreach.limits import LimitsSnapshot


def rep_rows(
    session: Session, snapshot: LimitsSnapshot, bounds: Sequence[datetime], span: int
) -> list[RepRow]:
    """Return one row per mailbox (configured or seen), the most interested first.

    `bounds` are the chart's days; the period counted is its last `span` days.
    """
    days = len(bounds) - 1
    reps = _configured(snapshot)
    _sends(session, reps, bounds)
    start, end = bounds[-span - 1], bounds[-1]
    mailbox = func.coalesce(Lead.mailbox, DEFAULT_KEY)
    for row in reps.values():
        row.daily_sent = row.daily_sent or [0] * days
        row.daily_simulated = row.daily_simulated or [0] * days
        row.sent = sum(row.daily_sent[-span:])
        row.simulated = sum(row.daily_simulated[-span:])
    replies = (
        select(mailbox, Reply.classification, func.count())
        .select_from(Reply)
        .join(Lead, Lead.id == Reply.lead_id)
        .where(Reply.received_at >= start, Reply.received_at < end)
        .group_by(mailbox, Reply.classification)
    )
    for key, kind, n in session.execute(replies):
        row = _row(reps, key)
        if kind == ReplyClass.bounce:
            row.bounces += n
            continue
        row.replies += n
        if kind == ReplyClass.interested:
            row.interested += n
        elif kind == ReplyClass.unsubscribe:
            row.opt_outs += n
    refused = (
        select(mailbox, func.count())
        .select_from(OutreachMessage)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.status == OutreachStatus.failed,
            OutreachMessage.updated_at >= start,
            OutreachMessage.updated_at < end,
            OutreachMessage.reason.like(f"{REJECTED_PREFIX}%"),
        )
        .group_by(mailbox)
    )
    for key, n in session.execute(refused):
        _row(reps, key).bounces += n
    return sorted(
        reps.values(), key=lambda r: (-r.interested, -r.replies, -r.sent - r.simulated, r.mailbox)
    )


def _sends(session: Session, reps: dict[str, RepRow], bounds: Sequence[datetime]) -> None:
    """Each mailbox's emails sent and would-sends on each day between `bounds`."""
    days = len(bounds) - 1
    rows = (
        select(
            day_index(OutreachMessage.sent_at, bounds).label("day"),
            func.coalesce(Lead.mailbox, DEFAULT_KEY).label("mailbox"),
            OutreachMessage.status.label("status"),
        )
        .select_from(OutreachMessage)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.sent_at >= bounds[0],
            OutreachMessage.sent_at < bounds[-1],
            OutreachMessage.channel == Channel.email,
            OutreachMessage.status.in_([OutreachStatus.sent, OutreachStatus.simulated]),
        )
        .subquery()
    )
    groups = (rows.c.day, rows.c.mailbox, rows.c.status)
    for day, key, status, n in session.execute(select(*groups, func.count()).group_by(*groups)):
        row = _row(reps, key)
        simulated = status == OutreachStatus.simulated
        daily = row.daily_simulated if simulated else row.daily_sent
        if not daily:
            daily.extend([0] * days)
        daily[day] += n


def _configured(snapshot: LimitsSnapshot) -> dict[str, RepRow]:
    if snapshot.mailboxes:
        return {
            m.key: RepRow(mailbox=m.key, owner=m.owner, cap_used=m.used_today, cap=m.cap_today)
            for m in snapshot.mailboxes
        }
    email = next((c for c in snapshot.channels if c.channel is Channel.email), None)
    used, cap = (email.used_today, email.cap_today) if email is not None else (0, 0)
    return {DEFAULT_KEY: RepRow(mailbox=DEFAULT_KEY, cap_used=used, cap=cap)}


def _row(reps: dict[str, RepRow], key: str) -> RepRow:
    """The row of `key`, added for a mailbox no longer in the mailboxes file."""
    if key not in reps:
        reps[key] = RepRow(mailbox=key)
    return reps[key]
