"""What waits for people: per kind, the total, the oldest, and a few items with their message.

Per kind one query counts (and dates the oldest), one lists the oldest few with their lead, and
one finds those few's Slack messages (approval, task, reply card): 500 pending approvals cost
what 5 do, and however many notifications there are, only the listed items are looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cam.core import notices
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    ManualTask,
    Notification,
    NotificationStatus,
    NotificationTopic,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    TaskStatus,
)
from cam.digest.model import Waiting, WaitingItem, WaitingKind

# Items listed per kind; the totals count all of them.
SHOWN_PER_KIND = 10
# Replies a person has to answer: no rule acts on them (an interested one waits as an approval).
UNDECIDED = (ReplyClass.question, ReplyClass.other)


@dataclass(frozen=True)
class _Kind:
    kind: WaitingKind
    # The id of the thing, what it is (a kind, a class, a step), and since when it waits.
    ident: InstrumentedAttribute[Any]
    what: InstrumentedAttribute[Any]
    since: InstrumentedAttribute[Any]
    lead_id: InstrumentedAttribute[Any]
    condition: ColumnElement[bool]
    # The notification whose message shows it, and the payload key naming it.
    message: tuple[NotificationTopic, str] | None


def _kinds() -> tuple[_Kind, ...]:
    undecided = and_(
        Reply.classification.in_(UNDECIDED),
        ~select(ReplyLabel.id).where(ReplyLabel.reply_id == Reply.id).exists(),
    )
    return (
        _Kind(
            WaitingKind.approval,
            Approval.id,
            Approval.kind,
            Approval.requested_at,
            Approval.lead_id,
            Approval.status == ApprovalStatus.pending,
            (NotificationTopic.approval, "approval_id"),
        ),
        _Kind(
            WaitingKind.reply,
            Reply.id,
            Reply.classification,
            Reply.received_at,
            Reply.lead_id,
            undecided,
            (NotificationTopic.reply_card, "reply_id"),
        ),
        _Kind(
            WaitingKind.unknown_send,
            OutreachMessage.id,
            OutreachMessage.step,
            OutreachMessage.updated_at,
            OutreachMessage.lead_id,
            OutreachMessage.status == OutreachStatus.unknown,
            None,
        ),
        _Kind(
            WaitingKind.task,
            ManualTask.id,
            ManualTask.id,
            ManualTask.created_at,
            ManualTask.lead_id,
            ManualTask.status == TaskStatus.open,
            (NotificationTopic.task, "task_id"),
        ),
    )


def waiting(session: Session) -> Waiting:
    """Gather the approvals, undecided replies, unknown sends and open tasks."""
    result = Waiting()
    for kind in _kinds():
        total, oldest = session.execute(
            select(func.count(), func.min(kind.since)).where(kind.condition)
        ).one()
        if not total:
            continue
        result.totals[kind.kind] = int(total)
        result.oldest[kind.kind] = oldest
        rows = session.execute(_listing(kind)).all()
        messages = _messages(session, kind.message, [row[0] for row in rows])
        result.items += [_item(kind.kind, row, messages.get(row[0])) for row in rows]
    return result


def _listing(kind: _Kind) -> Select[Any]:
    return (
        select(kind.ident, kind.what, Lead.first_name, Lead.last_name, Lead.email, kind.since)
        .outerjoin(Lead, Lead.id == kind.lead_id)
        .where(kind.condition)
        .order_by(kind.since, kind.ident)
        .limit(SHOWN_PER_KIND)
    )


def _messages(
    session: Session, message: tuple[NotificationTopic, str] | None, ids: list[int]
) -> dict[int, tuple[str, str]]:
    """Where each listed item's Slack message is: (channel, ts) by the item's id."""
    if message is None or not ids:
        return {}
    topic, key = message
    ident = notices.id_field(topic, key)
    rows = session.execute(
        select(ident, Notification.channel, Notification.external_id).where(
            Notification.topic == topic,
            Notification.status == NotificationStatus.sent,
            ident.in_(ids),
        )
    )
    return {int(i): (channel, ts) for i, channel, ts in rows if channel and ts}


def _item(kind: WaitingKind, row: Any, message: tuple[str, str] | None) -> WaitingItem:
    _ident, what, first, last, email, since = row
    who = f"{first or ''} {last or ''}".strip() or email or "unknown lead"
    if kind is WaitingKind.approval:
        label = "Go live" if what == ApprovalKind.go_live else f"Escalate {who}"
    elif kind is WaitingKind.reply:
        label = f"{who}: {str(what).replace('_', ' ')}"
    elif kind is WaitingKind.unknown_send:
        label = f"{who}: step {what}"
    else:
        label = f"LinkedIn step for {who}"
    channel, ts = message if message is not None else (None, None)
    return WaitingItem(kind=kind, label=label, since=since, slack_channel=channel, slack_ts=ts)
