"""The team's answer on a reply whose opt-out CAM would not decide alone: confirm it, or not.

Two kinds of reply ask: one only the model read as an opt-out, and one that asks for a next step
or for information beside an explicit opt-out phrase (`beside_opt_out`), filed by its request.
Neither suppresses by itself: the reply stopped the sequence, as every reply does, and its card
asks. "Confirm opt-out" suppresses the address for good, the ledger naming who confirmed and on
which reply, and withdraws the lead's pending escalation (a person who opted out is not sent to
the CRM); "Not an opt-out" leaves the lead as after any reply, and its label records the answer
(which teaches no class: it says what the reply is not).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.event_payloads import ApprovalDecided
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    Reply,
    ReplyClass,
    ReplyReview,
    SuppressionSource,
    TriageChoice,
)
from cam.core.safety import Grounds
from cam.replies import unsubscribe

CHOICES = frozenset({TriageChoice.confirm_opt_out, TriageChoice.not_opt_out})
WITHDRAWN = "withdrawn: the prospect's opt-out was confirmed on the reply card"


class NotAnOptOutGuess(ValueError):
    """The card these buttons came from does not ask whether the reply is an opt-out."""


def carry_out(
    session: Session,
    reply: Reply,
    lead: Lead | None,
    choice: TriageChoice,
    by: str,
    now: datetime,
) -> None:
    """Do what the team answered on the reply's "Looks like an opt-out" card."""
    if reply.review is not ReplyReview.opt_out_guess:
        raise NotAnOptOutGuess("this reply's card does not ask whether it is an opt-out")
    if choice is not TriageChoice.confirm_opt_out:
        return
    read = "the model's reading" if reply.classification is ReplyClass.unsubscribe else "the phrase"
    evidence = f"confirmed {read}: {reply.matched_rule or 'unsubscribe'}"
    grounds = Grounds(SuppressionSource.model_confirmed, evidence, by, reply.id)
    unsubscribe.unsubscribe(session, lead.email if lead else reply.from_address, grounds)
    if lead is not None:
        _withdraw_escalation(session, lead.id, by, now)


def _withdraw_escalation(session: Session, lead_id: int, by: str, now: datetime) -> None:
    """Reject the lead's escalation still waiting for an approver, naming why; one UPDATE that
    only takes a pending row, so an approver's decision at the same moment stands."""
    withdrawn = session.scalars(
        update(Approval)
        .where(
            Approval.lead_id == lead_id,
            Approval.kind == ApprovalKind.escalate_lead,
            Approval.status == ApprovalStatus.pending,
        )
        .values(status=ApprovalStatus.rejected, decided_by=by, decided_at=now, note=WITHDRAWN)
        .returning(Approval.id)
        .execution_options(synchronize_session=False)
    ).all()
    for approval_id in withdrawn:
        events.record(
            session,
            ApprovalDecided(
                approval_id=approval_id,
                kind=ApprovalKind.escalate_lead,
                status=ApprovalStatus.rejected,
                by=by,
                lead_id=lead_id,
            ),
        )
