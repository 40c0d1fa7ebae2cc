"""The day-by-day counts behind a digest: one aggregate query per source, never one per lead.

Days are the team's: the UTC instants of its local midnights are computed here (so a day that
gains or loses an hour at a daylight-saving change is 25 or 23 hours long), and each query
sorts its rows into those days with a CASE over the bounds. That is the same SQL on SQLite and
PostgreSQL, and a range condition on the indexed timestamp keeps it to the rows it counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Case, ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import case

from cam.core import events
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import (
    Approval,
    ApprovalKind,
    Channel,
    Event,
    Lead,
    ManualTask,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    TaskStatus,
)
from cam.core.safety import zone
from cam.digest.model import Funnel
from cam.leads.event_payloads import LeadsProcessed
from cam.outreach.event_payloads import OutreachScheduled
from cam.replies.event_payloads import Unsubscribed

# The reason `sending` gives a message the receiving server refused outright (a hard bounce).
REJECTED_PREFIX = "rejected:"


def day_bounds(first: date, days: int, timezone: str) -> list[datetime]:
    """Return the `days + 1` local midnights from `first` on, in UTC: the bounds of each day."""
    tz = zone(timezone)
    return [
        datetime.combine(first + timedelta(days=offset), time(0), tzinfo=tz).astimezone(UTC)
        for offset in range(days + 1)
    ]


@dataclass
class MailboxDays:
    """One sender mailbox's emails sent and would-sends on each day."""

    sent: list[int]
    simulated: list[int]


def daily_funnels(
    session: Session,
    bounds: Sequence[datetime],
    mailboxes: dict[str, MailboxDays] | None = None,
) -> list[Funnel]:
    """Count each day between consecutive `bounds`; return one funnel per day, in order.

    Given `mailboxes`, each mailbox's sends per day are added to it from the same scan.
    """
    funnels = [Funnel() for _ in bounds[1:]]
    for day, n in _per_day(session, Lead.created_at, bounds):
        funnels[day].new_leads += n
    _lead_verdicts(session, bounds, funnels)
    _sent(session, bounds, funnels, {} if mailboxes is None else mailboxes)
    for day, n in _per_day(
        session,
        OutreachMessage.updated_at,
        bounds,
        where=(
            OutreachMessage.status == OutreachStatus.failed,
            OutreachMessage.reason.like(f"{REJECTED_PREFIX}%"),
        ),
    ):
        funnels[day].bounced += n
    for day, name, n in _per_day(session, Reply.received_at, bounds, Reply.classification):
        replies = funnels[day].replies_by_class
        replies[str(name)] = replies.get(str(name), 0) + n
        if name == ReplyClass.bounce:
            funnels[day].bounced += n
    for day, status, n in _per_day(
        session,
        ManualTask.decided_at,
        bounds,
        ManualTask.status,
        where=(ManualTask.status.in_([TaskStatus.done, TaskStatus.skipped]),),
    ):
        if status == TaskStatus.done:
            funnels[day].tasks_done += n
        else:
            funnels[day].tasks_skipped += n
    for day, n in _per_day(
        session,
        Approval.crm_synced_at,
        bounds,
        where=(Approval.kind == ApprovalKind.escalate_lead,),
    ):
        funnels[day].escalated += n
    for day, n in _per_day(
        session, Event.created_at, bounds, where=(Event.name == Unsubscribed.name,)
    ):
        funnels[day].unsubscribed += n
    return funnels


def _lead_verdicts(session: Session, bounds: Sequence[datetime], funnels: list[Funnel]) -> None:
    """Leads disqualified, below the bar and enrolled, as each cycle's events recorded them.

    The same counters the cycle report shows: the digest's day adds up its cycles' reports.
    """
    day = day_index(Event.created_at, bounds).label("day")
    columns = [
        func.coalesce(events.field(model, key), 0).label(key)
        for model, key in (
            (LeadsProcessed, "disqualified"),
            (OutreachScheduled, "below_threshold"),
            (OutreachScheduled, "enrolled"),
        )
    ]
    rows = (
        select(day, *columns)
        .where(
            Event.name.in_([LeadsProcessed.name, OutreachScheduled.name]),
            Event.created_at >= bounds[0],
            Event.created_at < bounds[-1],
        )
        .subquery()
    )
    query = select(
        rows.c.day,
        func.sum(rows.c.disqualified),
        func.sum(rows.c.below_threshold),
        func.sum(rows.c.enrolled),
    ).group_by(rows.c.day)
    for index, disqualified, below, enrolled in session.execute(query):
        funnels[index].disqualified += int(disqualified or 0)
        funnels[index].below_bar += int(below or 0)
        funnels[index].enrolled += int(enrolled or 0)


def _sent(
    session: Session,
    bounds: Sequence[datetime],
    funnels: list[Funnel],
    mailboxes: dict[str, MailboxDays],
) -> None:
    """Emails sent and simulated sends (dry run) by day, step and mailbox, from the index."""
    days = len(funnels)
    for day, status, step, mailbox, n in _per_day(
        session,
        OutreachMessage.sent_at,
        bounds,
        OutreachMessage.status,
        OutreachMessage.step,
        OutreachMessage.mailbox,
        where=(
            OutreachMessage.channel == Channel.email,
            OutreachMessage.status.in_([OutreachStatus.sent, OutreachStatus.simulated]),
        ),
    ):
        funnel = funnels[day]
        simulated = status == OutreachStatus.simulated
        by_step = funnel.simulated_by_step if simulated else funnel.sent_by_step
        by_step[int(step)] = by_step.get(int(step), 0) + n
        sender = mailboxes.setdefault(mailbox or DEFAULT_KEY, MailboxDays([0] * days, [0] * days))
        (sender.simulated if simulated else sender.sent)[day] += n


def day_index(column: InstrumentedAttribute[Any], bounds: Sequence[datetime]) -> Case[Any]:
    """Return the index of the day a timestamp falls in (rows are already within the bounds)."""
    return case(*[(column < bound, index) for index, bound in enumerate(bounds[1:])])


def _per_day(
    session: Session,
    column: InstrumentedAttribute[Any],
    bounds: Sequence[datetime],
    *keys: InstrumentedAttribute[Any],
    where: Sequence[ColumnElement[bool]] = (),
) -> list[tuple[Any, ...]]:
    """Return `(day, *keys, count)` rows for the rows whose `column` is within the bounds."""
    labelled = [key.label(f"k{i}") for i, key in enumerate(keys)]
    rows = (
        select(day_index(column, bounds).label("day"), *labelled)
        .where(column >= bounds[0], column < bounds[-1], *where)
        .subquery()
    )
    groups = [rows.c.day, *(rows.c[f"k{i}"] for i in range(len(keys)))]
    query = select(*groups, func.count()).group_by(*groups)
    return [tuple(row) for row in session.execute(query)]
