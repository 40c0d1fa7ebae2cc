"""The digest per rep: each sender mailbox's sends, replies, bounces and cap over the period.

The sends come with the team's (one scan of the sends index, by the mailbox each message
names); two more aggregate queries count the period's refusals at send time and its replies
by their lead's mailbox; the caps come from the limits snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus, Reply, ReplyClass
from cam.digest.counts import REJECTED_PREFIX, MailboxDays
from cam.digest.model import RepRow
from cam.outreach.limits import LimitsSnapshot
from cam.replies.speed import SpeedToLead


def rep_rows(
    session: Session,
    snapshot: LimitsSnapshot,
    bounds: Sequence[datetime],
    span: int,
    sends: dict[str, MailboxDays],
) -> list[RepRow]:
    """Return one row per mailbox (configured or seen), the most interested first.

    `bounds` are the chart's days, `sends` each mailbox's sends on them (`daily_funnels`);
    the period counted is the last `span` days.
    """
    days = len(bounds) - 1
    reps = _configured(snapshot)
    for key, daily in sends.items():
        row = _row(reps, key)
        row.daily_sent, row.daily_simulated = daily.sent, daily.simulated
    start, end = bounds[-span - 1], bounds[-1]
    mailbox = func.coalesce(Lead.mailbox, DEFAULT_KEY)
    sent_from = func.coalesce(OutreachMessage.mailbox, DEFAULT_KEY)
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
        select(sent_from, func.count())
        .where(
            OutreachMessage.status == OutreachStatus.failed,
            OutreachMessage.updated_at >= start,
            OutreachMessage.updated_at < end,
            OutreachMessage.reason.like(f"{REJECTED_PREFIX}%"),
        )
        .group_by(sent_from)
    )
    for key, n in session.execute(refused):
        _row(reps, key).bounces += n
    return sorted(
        reps.values(), key=lambda r: (-r.interested, -r.replies, -r.sent - r.simulated, r.mailbox)
    )


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


def with_answers(reps: list[RepRow], speed: SpeedToLead) -> list[RepRow]:
    """Fill each mailbox's answered replies and median reply -> answer from speed to lead."""
    for row in reps:
        stages = speed.by_mailbox.get(row.mailbox)
        answer = stages.get("answer") if stages else None
        row.answered = answer.count if answer else 0
        median = answer.median_seconds if answer else None
        row.median_answer_minutes = None if median is None else median / 60
    return reps
