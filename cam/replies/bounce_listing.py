"""The bounces of a period, each with why it failed and what it did: `cam replies bounces`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core.models import Lead, LeadStatus, Reply, ReplyClass
from cam.replies import soft_bounces
from cam.replies.bounce_reasons import BounceReason


@dataclass(frozen=True)
class BounceRow:
    reply_id: int
    received_at: datetime
    address: str
    reason: str
    # What it did: suppressed, counted (n of 3 in a row), or why nothing.
    state: str


def listed(session: Session, *, since: datetime) -> list[BounceRow]:
    """The bounces received since `since`, newest first."""
    rows = session.execute(
        select(Reply, Lead)
        .outerjoin(Lead, Lead.id == Reply.lead_id)
        .where(Reply.classification == ReplyClass.bounce, Reply.received_at >= since)
        .order_by(Reply.received_at.desc(), Reply.id.desc())
    ).all()
    return [
        BounceRow(
            reply.id,
            reply.received_at,
            lead.email if lead is not None else reply.from_address,
            reply.bounce_reason or BounceReason.undefined.value,
            _state(session, reply, lead),
        )
        for reply, lead in rows
    ]


def _state(session: Session, reply: Reply, lead: Lead | None) -> str:
    if lead is None:
        return "no lead matched"
    if lead.status is LeadStatus.bounced:
        return "suppressed"
    stored = reply.bounce_reason or ""
    reason = BounceReason(stored) if stored in BounceReason.__members__ else None
    if reason is not None and soft_bounces.is_soft(reason):
        row = soft_bounces.row_of(session, lead.id, reply.id, reason)
        return f"counted: {len(row.reply_ids)} of {soft_bounces.IN_A_ROW} in a row"
    return f"lead {lead.status.value}"
