"""The CRM call of an approved escalation, once, under a claim on the approval.

The call runs after the decision's commit, so a crash or a CRM failure leaves an approved
escalation whose sync a retry finishes with the ids already stored (partial ones included).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.event_payloads import Failure
from cam.core.models import Approval, ApprovalKind, ApprovalStatus, Lead, Reply
from cam.core.ports import CrmLead, CrmRefs, CrmSyncer, CrmSyncError
from cam.escalation.event_payloads import CrmSynced
from cam.escalation.outcomes import Decision, Outcome, decision_of, get_approval, refuse

log = logging.getLogger(__name__)

# A CRM call older than this with no outcome is taken to have died with its process.
CRM_SYNC_LEASE = timedelta(minutes=5)


def retry_sync(
    session_factory: SessionFactory,
    *,
    approval_id: int,
    by: str,
    approvers: frozenset[str],
    crm: CrmSyncer,
    now: datetime,
) -> Decision:
    """Finish the failed CRM sync of one approved escalation (the "Retry CRM sync" button)."""
    with unit_of_work(session_factory) as session:
        approval = get_approval(session, approval_id)
        if by not in approvers:
            refuse(session, approval_id, by, Outcome.not_an_approver)
            return decision_of(approval, Outcome.not_an_approver)
    return sync(session_factory, approval_id, crm, now)


def retry_crm_sync(
    session_factory: SessionFactory,
    *,
    crm: CrmSyncer,
    now: datetime,
    approval_ids: Iterable[int] | None = None,
) -> list[Decision]:
    """Finish the CRM sync of approved escalations that have none yet, reusing stored ids.

    With no CRM configured this does nothing: the backlog waits until one is.
    """
    if not crm.configured:
        return []
    with unit_of_work(session_factory) as session:
        query = select(Approval.id).where(*_unsynced()).order_by(Approval.id)
        if approval_ids is not None:
            query = query.where(Approval.id.in_(list(approval_ids)))
        ids = list(session.scalars(query))
    return [sync(session_factory, approval_id, crm, now) for approval_id in ids]


def sync(
    session_factory: SessionFactory, approval_id: int, crm: CrmSyncer, now: datetime
) -> Decision:
    """Claim the approval's CRM call, then make it; another call's claim is left alone."""
    with unit_of_work(session_factory) as session:
        if not _claim(session, approval_id, now):
            # Synced already, or another call holds the claim and reports its own outcome.
            return decision_of(session.get_one(Approval, approval_id), Outcome.already_decided)
        crm_lead = _crm_lead(session, session.get_one(Approval, approval_id))
    return _call(session_factory, approval_id, crm_lead, crm, now)


def sync_claimed(
    session_factory: SessionFactory, approval_id: int, crm: CrmSyncer, now: datetime
) -> Decision:
    """Make the CRM call of an approval whose claim the caller holds (the decision's winner)."""
    with unit_of_work(session_factory) as session:
        crm_lead = _crm_lead(session, session.get_one(Approval, approval_id))
    return _call(session_factory, approval_id, crm_lead, crm, now)


def _call(
    session_factory: SessionFactory,
    approval_id: int,
    crm_lead: CrmLead | None,
    crm: CrmSyncer,
    now: datetime,
) -> Decision:
    """Call the CRM once; store the ids or the error."""
    if crm_lead is None:
        return _finish(session_factory, approval_id, None, "the lead no longer exists", now)
    try:
        refs = crm.sync(crm_lead)
    except CrmSyncError as exc:
        return _finish(session_factory, approval_id, exc.refs, str(exc), now)
    except Exception as exc:  # never crash: any CRM failure is kept on the approval for a retry
        log.exception("CRM sync of approval %s failed", approval_id)
        return _finish(session_factory, approval_id, None, str(exc) or type(exc).__name__, now)
    return _finish(session_factory, approval_id, refs, None, now)


def _unsynced() -> tuple[Any, ...]:
    return (
        Approval.kind == ApprovalKind.escalate_lead,
        Approval.status == ApprovalStatus.approved,
        Approval.crm_synced_at.is_(None),
    )


def _claim(session: Session, approval_id: int, now: datetime) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Approval)
            .where(
                Approval.id == approval_id,
                *_unsynced(),
                or_(
                    Approval.crm_sync_started_at.is_(None),
                    Approval.crm_sync_started_at < now - CRM_SYNC_LEASE,
                ),
            )
            .values(crm_sync_started_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def _crm_lead(session: Session, approval: Approval) -> CrmLead | None:
    lead = session.get(Lead, approval.lead_id) if approval.lead_id is not None else None
    if lead is None:
        return None
    reply = session.get(Reply, approval.reply_id) if approval.reply_id is not None else None
    return CrmLead(
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company,
        title=lead.title,
        score=lead.score,
        score_reasons=tuple(lead.score_reasons),
        reply_subject=reply.subject if reply else "",
        reply_text=reply.body_excerpt if reply else "",
        contact_id=lead.crm_contact_id,
        deal_id=lead.crm_deal_id,
    )


def _finish(
    session_factory: SessionFactory,
    approval_id: int,
    refs: CrmRefs | None,
    error: str | None,
    now: datetime,
) -> Decision:
    """Store what the CRM call gave: ids (even partial ones), and the outcome."""
    with unit_of_work(session_factory) as session:
        approval = session.get_one(Approval, approval_id, with_for_update=True)
        lead = session.get(Lead, approval.lead_id) if approval.lead_id is not None else None
        if lead is not None and refs is not None:
            lead.crm_contact_id = refs.contact_id or lead.crm_contact_id
            lead.crm_deal_id = refs.deal_id or lead.crm_deal_id
        approval.crm_sync_started_at = None
        if error is None:
            approval.crm_synced_at = now
            approval.crm_error = None
            events.record(
                session,
                CrmSynced(
                    approval_id=approval_id,
                    lead_id=approval.lead_id,
                    contact_id=lead.crm_contact_id if lead else None,
                    deal_id=lead.crm_deal_id if lead else None,
                ),
            )
            return decision_of(approval, Outcome.approved_and_synced)
        approval.crm_error = error[:1000]
        events.record(session, Failure(phase="crm", approval_id=approval_id, message=error[:1000]))
        return decision_of(approval, Outcome.approved_sync_failed, error)
