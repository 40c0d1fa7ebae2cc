"""Phase 5: ask for approval of each hot lead that triage has not already escalated.

The request itself (one dedupe key per lead, so concurrent runs insert it once) is
`cam.replies.escalation_requests`, shared with the reply cards and triage that escalate at once.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.models import (
    Approval,
    ApprovalKind,
    Lead,
    LeadStatus,
    Reply,
    ReplyClass,
)
from cam.escalation.event_payloads import LeadsEscalated
from cam.replies.escalation_requests import Candidate, request_escalations


def escalate_hot_leads(ctx: CycleContext) -> None:
    """Ask for approval of each hot lead that has none yet, with the reply that made it hot."""
    with unit_of_work(ctx.session_factory) as session:
        created = request_escalations(
            session, _unescalated_hot_leads(session), ctx.clock(), cycle_id=ctx.cycle_id
        )
        events.record(session, LeadsEscalated(count=len(created)), ctx.cycle_id)
    ctx.report.approvals_requested += len(created)


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
