"""Phase 5: ask for approval of each hot lead, with the reply that made it hot.

Each escalation has a dedupe key per lead, so several instances running the phase at once
insert it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from cam.core import bulk, events
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    LeadStatus,
    Notification,
    NotificationTopic,
    Reply,
    ReplyClass,
)
from cam.core.notices import ApprovalPayload, row

BATCH = 500


class Candidate(NamedTuple):
    """A lead to escalate, with the reply that made it hot (None: no reply to show)."""

    lead_id: int
    reply_id: int | None


class Requested(NamedTuple):
    """An escalation this call asked for."""

    approval_id: int
    lead_id: int


def escalate_hot_leads(ctx: CycleContext) -> None:
    """Ask for approval of each hot lead that has none yet, with the reply that made it hot."""
    with unit_of_work(ctx.session_factory) as session:
        created = request_escalations(
            session, _unescalated_hot_leads(session), ctx.clock(), cycle_id=ctx.cycle_id
        )
        events.record(session, events.LEADS_ESCALATED, {"count": len(created)}, ctx.cycle_id)
    ctx.report.approvals_requested += len(created)


def request_escalations(
    session: Session,
    candidates: list[Candidate],
    now: datetime,
    *,
    cycle_id: int | None = None,
    notify: bool = True,
) -> list[Requested]:
    """Ask for approval of each candidate with none yet; return those asked for.

    `notify=False` when the reply's own card carries the approval's buttons: no second message.
    """
    created: list[Requested] = []
    for start in range(0, len(candidates), BATCH):
        created += _insert_escalations(session, candidates[start : start + BATCH], now)
    created.sort()
    if created and notify:
        session.execute(
            insert(Notification),
            [
                row(NotificationTopic.approval, ApprovalPayload(approval_id=r.approval_id))
                for r in created
            ],
        )
    events.record_many(
        session,
        events.APPROVAL_REQUESTED,
        [
            {
                "approval_id": r.approval_id,
                "kind": ApprovalKind.escalate_lead.value,
                "lead_id": r.lead_id,
            }
            for r in created
        ],
        cycle_id,
    )
    return created


def _unescalated_hot_leads(session: Session) -> list[Candidate]:
    """Return the hot leads with no escalation; prefer an interested reply."""
    interested = (
        select(Reply.lead_id, func.max(Reply.id).label("reply_id"))
        .where(Reply.classification == ReplyClass.interested)
        .group_by(Reply.lead_id)
        .subquery()
    )
    latest = (
        select(Reply.lead_id, func.max(Reply.id).label("reply_id"))
        .group_by(Reply.lead_id)
        .subquery()
    )
    already = exists().where(
        Approval.lead_id == Lead.id, Approval.kind == ApprovalKind.escalate_lead
    )
    rows = session.execute(
        select(Lead.id, func.coalesce(interested.c.reply_id, latest.c.reply_id))
        .outerjoin(interested, interested.c.lead_id == Lead.id)
        .outerjoin(latest, latest.c.lead_id == Lead.id)
        .where(Lead.status == LeadStatus.hot, ~already)
        .order_by(Lead.id)
    ).all()
    return [Candidate(lead_id, reply_id) for lead_id, reply_id in rows]


def _insert_escalations(session: Session, batch: list[Candidate], now: datetime) -> list[Requested]:
    """Insert pending escalations, skipping any another instance inserted first."""
    if not batch:
        return []
    rows = [
        {
            "kind": ApprovalKind.escalate_lead,
            "status": ApprovalStatus.pending,
            "dedupe_key": f"escalate_lead:{lead_id}",
            "lead_id": lead_id,
            "reply_id": reply_id,
            "requested_by": "cam",
            "requested_at": now,
        }
        for lead_id, reply_id in batch
    ]
    inserted = bulk.insert_ignoring(
        session, Approval, rows, on=["dedupe_key"], returning=[Approval.id, Approval.lead_id]
    )
    return [Requested(approval_id, lead_id) for approval_id, lead_id in inserted]
