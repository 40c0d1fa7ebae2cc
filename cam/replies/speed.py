"""Speed to lead: how fast the team sees, decides on and answers the replies people write.

Each reply a person wrote keeps when it landed (the mailbox's INTERNALDATE, else its Date),
when its card was posted, and when it was first answered; its first decision is the earliest
of its label and its escalation's approval. `speed_to_lead` gives the median and p90 of
reply -> card, reply -> decision and reply -> answer over a period, for the team and per
mailbox (its owner), leaving out absence notices (their answer waits for the return on
purpose); `unanswered` names the interested replies waiting longer than the team allows
(`CAM_ANSWER_WITHIN` working hours in the lead's zone), for the reminder and the digest.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cam.core import notices, safety
from cam.core.config import CAMCycleConfig, SendWindow
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import (
    Approval,
    Lead,
    Notification,
    NotificationTopic,
    Reply,
    ReplyClass,
    ReplyLabel,
    TriageChoice,
)

# How far back a reply may still be waiting for its reminder.
REMINDER_LOOKBACK = timedelta(days=14)
STAGES = ("card", "decision", "answer")


class StageSpeed(BaseModel):
    """Seconds from the reply landing to one stage: how many, the median and the p90."""

    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None


class SpeedToLead(BaseModel):
    """Reply -> card, reply -> decision and reply -> answer, for the team and per mailbox."""

    start: datetime
    end: datetime
    replies: int
    team: dict[str, StageSpeed]
    # Mailbox key (its owner's) -> the same three stages.
    by_mailbox: dict[str, dict[str, StageSpeed]]


@dataclass(frozen=True)
class Waiting:
    """An interested reply its owner has not answered within the time the team allows."""

    reply_id: int
    lead_id: int
    mailbox: str
    lead_name: str
    landed_at: datetime
    due_at: datetime


def card_posted(session: Session, reply_id: int, at: datetime) -> None:
    """Keep when the reply's card was first posted."""
    session.execute(
        update(Reply)
        .where(Reply.id == reply_id, Reply.card_posted_at.is_(None))
        .values(card_posted_at=at)
        .execution_options(synchronize_session=False)
    )


def add_working_hours(start: datetime, hours: float, tz_name: str, window: SendWindow) -> datetime:
    """Return the moment `hours` of working time (the team's window and days) after `start`."""
    left = timedelta(hours=hours)
    tz = safety.zone(tz_name)
    for opens, closes in safety.windows_from(start, tz, window, days=62):
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    raise ValueError("the working window has no day")


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` percentile (0..1) of `values`, interpolated between the nearest two."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * share
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def speed_to_lead(session: Session, start: datetime, end: datetime) -> SpeedToLead:
    """Median and p90 of each stage for the replies people wrote that landed in [start, end)."""
    landed = func.coalesce(Reply.landed_at, Reply.received_at)
    card_reply = notices.id_field(NotificationTopic.reply_card, "reply_id")
    carded = select(card_reply).where(Notification.topic == NotificationTopic.reply_card.value)
    rows = session.execute(
        select(Reply.id, landed, Reply.card_posted_at, Reply.answered_at, Lead.mailbox)
        .outerjoin(Lead, Lead.id == Reply.lead_id)
        .where(
            landed >= start,
            landed < end,
            Reply.id.in_(carded),
            Reply.classification != ReplyClass.out_of_office,
        )
    ).all()
    decided = _first_decisions(session, [row[0] for row in rows])
    team: dict[str, list[float]] = defaultdict(list)
    mailboxes: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for reply_id, at, card, answer, mailbox in rows:
        times = {"card": card, "decision": decided.get(reply_id), "answer": answer}
        for stage, moment in times.items():
            if moment is None:
                continue
            seconds = max((moment - at).total_seconds(), 0.0)
            team[stage].append(seconds)
            mailboxes[mailbox or DEFAULT_KEY][stage].append(seconds)
    return SpeedToLead(
        start=start,
        end=end,
        replies=len(rows),
        team=_stages(team),
        by_mailbox={key: _stages(values) for key, values in sorted(mailboxes.items())},
    )


def unanswered(
    session: Session,
    config: CAMCycleConfig,
    now: datetime,
    within_hours: float,
    *,
    not_reminded: bool = False,
) -> list[Waiting]:
    """The interested replies with a card and no answer past their deadline, oldest first."""
    landed = func.coalesce(Reply.landed_at, Reply.received_at)
    labelled = select(ReplyLabel.reply_id).where(ReplyLabel.choice == TriageChoice.interested)
    query = (
        select(Reply.id, landed, Lead)
        .join(Lead, Lead.id == Reply.lead_id)
        .where(
            Reply.card_posted_at.is_not(None),
            Reply.answered_at.is_(None),
            landed >= now - REMINDER_LOOKBACK,
            (Reply.classification == ReplyClass.interested) | Reply.id.in_(labelled),
        )
        .order_by(landed, Reply.id)
    )
    if not_reminded:
        query = query.where(Reply.answer_reminded_at.is_(None))
    window = config.safety_settings.send_window
    found = []
    for reply_id, at, lead in session.execute(query).all():
        due = add_working_hours(at, within_hours, lead.timezone or config.timezone, window)
        if due <= now:
            name = lead.full_name or lead.email
            mailbox = lead.mailbox or DEFAULT_KEY
            found.append(Waiting(reply_id, lead.id, mailbox, name, at, due))
    return found


def take_reminder(session: Session, reply_id: int, now: datetime) -> bool:
    """Mark the reply reminded; True for the one caller (of any instance) that did."""
    result = session.execute(
        update(Reply)
        .where(Reply.id == reply_id, Reply.answer_reminded_at.is_(None))
        .values(answer_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _first_decisions(session: Session, reply_ids: Iterable[int]) -> dict[int, datetime]:
    """The earliest decision on each reply: its label, or its escalation's approval."""
    ids = sorted(set(reply_ids))
    if not ids:
        return {}
    found: dict[int, datetime] = {}
    labels = select(ReplyLabel.reply_id, ReplyLabel.decided_at).where(ReplyLabel.reply_id.in_(ids))
    approvals = select(Approval.reply_id, Approval.decided_at).where(
        Approval.reply_id.in_(ids), Approval.decided_at.is_not(None)
    )
    for query in (labels, approvals):
        for reply_id, at in session.execute(query).all():
            if reply_id is not None and at is not None:
                found[reply_id] = min(at, found.get(reply_id, at))
    return found


def _stages(values: dict[str, list[float]]) -> dict[str, StageSpeed]:
    result = {}
    for stage in STAGES:
        seconds = values.get(stage) or []
        result[stage] = (
            StageSpeed(
                count=len(seconds),
                median_seconds=percentile(seconds, 0.5),
                p90_seconds=percentile(seconds, 0.9),
            )
            if seconds
            else StageSpeed()
        )
    return result
