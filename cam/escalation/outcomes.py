"""What one click on an approval led to: the contract between the engine and the bot.

The bot keeps one table from `Outcome` to what the person is told; nothing decodes flags.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.models import Approval, ApprovalKind, ApprovalStatus
from cam.escalation.event_payloads import ApprovalRefused


class UnknownApproval(LookupError):
    """No approval has this id."""


class ApprovalChoice(enum.StrEnum):
    """What an approver chose on an approval: its two buttons."""

    approve = "approve"
    reject = "reject"

    @property
    def status(self) -> ApprovalStatus:
        """The status the approval takes when this choice wins."""
        if self is ApprovalChoice.approve:
            return ApprovalStatus.approved
        return ApprovalStatus.rejected


class Outcome(enum.StrEnum):
    """What became of one attempt to decide an approval or to finish its CRM sync."""

    # This call took the decision.
    approved = "approved"  # going live: nothing to sync
    approved_and_synced = "approved_and_synced"
    approved_sync_failed = "approved_sync_failed"  # the decision stands; a retry may finish it
    rejected = "rejected"
    # Someone else decided first, or the sync is done or under way in another call.
    already_decided = "already_decided"
    # Refused: nothing changed but what the refusal says.
    not_an_approver = "not_an_approver"
    expired = "expired"
    same_approver = "same_approver"  # going live: the one who asked may not approve
    withdrawn = "withdrawn"  # going live asked by a non-approver: the request is rejected


# Why an attempt was refused, as the event log records it and the person is told.
REFUSALS: dict[Outcome, str] = {
    Outcome.not_an_approver: "only approvers may decide",
    Outcome.expired: "this request has expired; ask again",
    Outcome.same_approver: "going live needs an approver other than the one who asked",
    Outcome.withdrawn: (
        "going live needs two approvers, and this request was not made by one; "
        "it is withdrawn: an approver can ask again with `/cam live`"
    ),
}


class Decision(BaseModel):
    """The approval as one attempt left it, and what the attempt led to."""

    approval_id: int
    kind: ApprovalKind
    status: ApprovalStatus
    decided_by: str | None
    decided_at: datetime | None
    outcome: Outcome
    crm_error: str | None = None  # with `approved_sync_failed`: what the CRM answered


def refuse(session: Session, approval_id: int, by: str, outcome: Outcome) -> None:
    """Log an attempt turned down, and why."""
    events.record(
        session, ApprovalRefused(approval_id=approval_id, by=by, reason=REFUSALS[outcome])
    )


def decision_of(approval: Approval, outcome: Outcome, crm_error: str | None = None) -> Decision:
    """The approval as it stands, with what the attempt led to."""
    return Decision(
        approval_id=approval.id,
        kind=approval.kind,
        status=approval.status,
        decided_by=approval.decided_by,
        decided_at=approval.decided_at,
        outcome=outcome,
        crm_error=crm_error,
    )


def get_approval(session: Session, approval_id: int) -> Approval:
    """The approval a click names; `UnknownApproval` when none has this id."""
    approval = session.get(Approval, approval_id)
    if approval is None:
        raise UnknownApproval(f"no approval with id {approval_id}")
    return approval
