"""The decisions people take on approvals: approve or reject, once.

A decision is one conditional UPDATE on the pending row: whoever changes it wins, so a double
click, a Slack retry or two instances at once give exactly one decision and one CRM call.
The winner of an approved escalation calls the CRM after that commit (`crm_sync`), holding
the claim from the decision on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.event_payloads import ApprovalDecided
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    LeadStatus,
    Reply,
    TriageChoice,
)
from cam.core.ports import CrmSyncer
from cam.core.state import set_dry_run
from cam.escalation import crm_sync
from cam.escalation.expiry import expire_stale
from cam.escalation.go_live import four_eyes_refusal
from cam.escalation.outcomes import (
    ApprovalChoice,
    Decision,
    Outcome,
    decision_of,
    get_approval,
    refuse,
)
from cam.leads import status as lead_status
from cam.replies import labels


def decide(
    session_factory: SessionFactory,
    *,
    approval_id: int,
    decided_by: str,
    choice: ApprovalChoice,
    approvers: frozenset[str],
    crm: CrmSyncer,
    now: datetime,
) -> Decision:
    """Approve or reject an approval once, whoever else tries at the same moment."""
    with unit_of_work(session_factory) as session:
        approval = get_approval(session, approval_id)
        refusal = _refusal(session, approval, decided_by, choice, approvers, now)
        if refusal is not None:
            refuse(session, approval_id, decided_by, refusal)
            return decision_of(approval, refusal)
        won = approval.status is ApprovalStatus.pending and _take(
            session, approval, decided_by, choice, now
        )
        session.refresh(approval)
        if won:
            _apply(session, approval, decided_by, choice, now)
    if not won:
        expired = approval.status is ApprovalStatus.expired
        return decision_of(approval, Outcome.expired if expired else Outcome.already_decided)
    if choice is ApprovalChoice.reject:
        return decision_of(approval, Outcome.rejected)
    if approval.kind is not ApprovalKind.escalate_lead:
        return decision_of(approval, Outcome.approved)
    # The winner holds the CRM claim from the decision on (see `_take`).
    return crm_sync.sync_claimed(session_factory, approval_id, crm, now)


def _refusal(
    session: Session,
    approval: Approval,
    by: str,
    choice: ApprovalChoice,
    approvers: frozenset[str],
    now: datetime,
) -> Outcome | None:
    """Say why `by` may not take this decision, or None when they may."""
    if by not in approvers:
        return Outcome.not_an_approver
    if approval.status is not ApprovalStatus.pending:
        return None
    if approval.expires_at is not None and approval.expires_at <= now:
        expire_stale(session, now)
        session.refresh(approval)
        return Outcome.expired
    if approval.kind is ApprovalKind.go_live and choice is ApprovalChoice.approve:
        return four_eyes_refusal(session, approval, by, approvers, now)
    return None


def _take(
    session: Session, approval: Approval, by: str, choice: ApprovalChoice, now: datetime
) -> bool:
    """Decide with one conditional UPDATE; True if this call changed the pending row."""
    decided = (
        update(Approval)
        .where(Approval.id == approval.id, Approval.status == ApprovalStatus.pending)
        .values(status=choice.status, decided_by=by, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if approval.kind is ApprovalKind.go_live:
        decided = decided.values(dedupe_key=None)
    elif choice is ApprovalChoice.approve:
        decided = decided.values(crm_sync_started_at=now)  # the winner holds the CRM claim
    result = cast(CursorResult[Any], session.execute(decided))
    return result.rowcount == 1


def _apply(
    session: Session, approval: Approval, by: str, choice: ApprovalChoice, now: datetime
) -> None:
    """Carry out what the winning decision means, in its transaction."""
    approve = choice is ApprovalChoice.approve
    if approval.kind is ApprovalKind.go_live and approve:
        set_dry_run(session, dry_run=False, by=by, now=now)
    elif approval.kind is ApprovalKind.escalate_lead and approval.lead_id is not None:
        lead = session.get(Lead, approval.lead_id)
        if lead is not None and approve:
            if lead_status.may_move(lead.status, LeadStatus.escalated):
                lead.status = LeadStatus.escalated
            lead.status_reason = f"escalation approved by {by}"
            reply = session.get(Reply, approval.reply_id) if approval.reply_id else None
            if reply is not None:
                # Approving confirms the reply is interest: a label the classifier learns from,
                # or the approver's word for the Interested a teammate clicked on its card.
                interested = TriageChoice.interested
                if not labels.record(session, reply, interested, by=by, now=now, approver=True):
                    label = labels.LABEL_OF[interested]
                    labels.vouch(session, reply.id, label, by=by, approver=True, now=now)
        elif lead is not None:
            lead.status_reason = f"escalation rejected by {by}"
    events.record(
        session,
        ApprovalDecided(
            approval_id=approval.id,
            kind=approval.kind,
            status=approval.status,
            by=by,
            lead_id=approval.lead_id,
        ),
    )
