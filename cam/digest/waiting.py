"""What waits for people: per kind, the total, the oldest, and a few items with their message.

Two queries a kind (the totals, then the oldest few with their lead and Slack message), so
500 pending approvals cost what 5 do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    LeadStatus,
    ManualTask,
    Notification,
    NotificationStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    TaskStatus,
)
from cam.digest.model import Waiting, WaitingItem, WaitingKind

# A query listing waiting items: what, first name, last name, email, since[, channel, ts].
Listing = Select[*tuple[Any, ...]]
# Items listed per kind; the totals count all of them.
SHOWN_PER_KIND = 10
# Replies no rule acts on: a person has to answer or decide.
UNDECIDED = (ReplyClass.question, ReplyClass.other)


def waiting(session: Session) -> Waiting:
    """Gather the approvals, undecided replies, unknown sends and open tasks."""
    result = Waiting()
    for kind, since, condition, listing in (
        (
            WaitingKind.approval,
            Approval.requested_at,
            Approval.status == ApprovalStatus.pending,
            _approvals(),
        ),
        (WaitingKind.reply, Reply.received_at, _undecided(), _replies()),
        (
            WaitingKind.unknown_send,
            OutreachMessage.updated_at,
            OutreachMessage.status == OutreachStatus.unknown,
            _unknown_sends(),
        ),
        (WaitingKind.task, ManualTask.created_at, ManualTask.status == TaskStatus.open, _tasks()),
    ):
        total, oldest = session.execute(
            select(func.count(), func.min(since)).where(condition)
        ).one()
        if not total:
            continue
        result.totals[kind] = int(total)
        result.oldest[kind] = oldest
        rows = session.execute(listing.where(condition).order_by(since).limit(SHOWN_PER_KIND))
        result.items += [_item(kind, row) for row in rows]
    return result


def _undecided() -> ColumnElement[bool]:
    return and_(
        Reply.classification.in_(UNDECIDED),
        Reply.lead_id.in_(select(Lead.id).where(Lead.status == LeadStatus.replied)),
    )


def _message_of(topic: str, key: str, ident: Any) -> Any:
    """The sent Slack message of a notification about `ident` (outer-joined, may be none)."""
    return and_(
        Notification.topic == topic,
        Notification.status == NotificationStatus.sent,
        Notification.payload[key].as_integer() == ident,
    )


def _approvals() -> Listing:
    return (
        select(
            Approval.kind,
            Lead.first_name,
            Lead.last_name,
            Lead.email,
            Approval.requested_at,
            Notification.channel,
            Notification.external_id,
        )
        .select_from(Approval)
        .outerjoin(Lead, Lead.id == Approval.lead_id)
        .outerjoin(Notification, _message_of("approval", "approval_id", Approval.id))
    )


def _replies() -> Listing:
    return select(
        Reply.classification,
        Lead.first_name,
        Lead.last_name,
        Lead.email,
        Reply.received_at,
    ).join(Lead, Lead.id == Reply.lead_id)


def _unknown_sends() -> Listing:
    return select(
        OutreachMessage.step,
        Lead.first_name,
        Lead.last_name,
        Lead.email,
        OutreachMessage.updated_at,
    ).join(Lead, Lead.id == OutreachMessage.lead_id)


def _tasks() -> Listing:
    return (
        select(
            ManualTask.id,
            Lead.first_name,
            Lead.last_name,
            Lead.email,
            ManualTask.created_at,
            Notification.channel,
            Notification.external_id,
        )
        .select_from(ManualTask)
        .join(Lead, Lead.id == ManualTask.lead_id)
        .outerjoin(Notification, _message_of("task", "task_id", ManualTask.id))
    )


def _item(kind: WaitingKind, row: Any) -> WaitingItem:
    what, first, last, email, since, *message = row
    who = f"{first} {last}".strip() or email or "unknown lead"
    if kind is WaitingKind.approval:
        label = "Go live" if what == ApprovalKind.go_live else f"Escalate {who}"
    elif kind is WaitingKind.reply:
        label = f"{who}: {str(what).replace('_', ' ')}"
    elif kind is WaitingKind.unknown_send:
        label = f"{who}: step {what}"
    else:
        label = f"LinkedIn step for {who}"
    channel, ts = message if message else (None, None)
    return WaitingItem(kind=kind, label=label, since=since, slack_channel=channel, slack_ts=ts)
