"""The digest per rep: each sender mailbox's sends, replies, bounces and cap over the period.

Three aggregate queries (sends, replies, refusals at send time), each joined to the lead that
names the mailbox, over the period's rows only; the caps come from the limits snapshot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus, Reply, ReplyClass
from cam.digest.counts import REJECTED_PREFIX
from cam.digest.model import RepRow
from cam.outreach.limits import LimitsSnapshot


def rep_rows(
    session: Session, snapshot: LimitsSnapshot, start: datetime, end: datetime
) -> list[RepRow]:
    """Return one row per mailbox (configured or seen in the period), the most interested first."""
    reps = _configured(snapshot)
    mailbox = func.coalesce(Lead.mailbox, DEFAULT_KEY)
    sends = (
        select(mailbox, OutreachMessage.status, func.count())
        .select_from(OutreachMessage)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.sent_at >= start,
            OutreachMessage.sent_at < end,
            OutreachMessage.channel == Channel.email,
            OutreachMessage.status.in_([OutreachStatus.sent, OutreachStatus.simulated]),
        )
        .group_by(mailbox, OutreachMessage.status)
    )
    for key, status, n in session.execute(sends):
        row = _row(reps, key)
        if status == OutreachStatus.simulated:
            row.simulated += n
        else:
            row.sent += n
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
