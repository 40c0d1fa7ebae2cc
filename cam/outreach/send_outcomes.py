"""Step 3 of the send protocol: what became of a claimed email, committed in its own
transaction, and what a step handed over counts for.

Each outcome applies only while the row is still `sending`: a row that the lease has already
turned `unknown` is left for a person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.backoff import Backoff
from cam.core.db import unit_of_work
from cam.core.enums import Limit
from cam.core.models import (
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    SuppressionKind,
    SuppressionSource,
)
from cam.core.ports import SendOutcome, SendResult
from cam.leads import status as lead_status
from cam.outreach import outbox_status
from cam.outreach.outbox import Quota
from cam.outreach.send_state import PassState

MAX_ATTEMPTS = 5
RETRY_BACKOFF = Backoff(first=timedelta(minutes=15).total_seconds())

# Changes a claimed row (and its lead) inside the transaction that holds the row.
Apply = Callable[[Session, OutreachMessage, Lead], None]


def record_result(state: PassState, row_id: int, result: SendResult, quota: Quota) -> None:
    """Record what the server answered: sent, retry later, or rejected for good."""

    def apply(session: Session, row: OutreachMessage, lead: Lead) -> None:
        _outcome(state, session, row, lead, result, quota)

    _finish(state, row_id, apply)


def record_unknown(state: PassState, row_id: int, exc: Exception) -> None:
    """Mark a row whose fate nobody knows, for a person to check; it is never sent blindly."""

    def apply(session: Session, row: OutreachMessage, lead: Lead) -> None:
        row.status = OutreachStatus.unknown
        row.reason = f"outcome unknown ({type(exc).__name__}): check before sending again"
        state.report.unknown_outcomes += 1

    _finish(state, row_id, apply)


def release(state: PassState, row_id: int, quota: Quota, reason: str) -> None:
    """Give a claim back (planned again, its quota returned): the message never left."""

    def apply(session: Session, row: OutreachMessage, lead: Lead) -> None:
        quota.give_back(session)
        row.status, row.reason = OutreachStatus.planned, reason[:1000]
        row.claimed_by = row.claimed_at = row.message_id = None

    _finish(state, row_id, apply)


def delivered(state: PassState, row: OutreachMessage, lead: Lead) -> None:
    """Count a step handed over for real and start the wait for the next one."""
    state.advance(row, lead, state.now)
    state.counts.sent += 1
    state.report.outreach_sent += 1
    if row.step > 1:
        state.counts.followups += 1
        state.report.followups_sent += 1


def _finish(state: PassState, row_id: int, apply: Apply) -> None:
    """Record what became of a claimed row, if it is still ours to record."""
    with unit_of_work(state.ctx.session_factory) as session:
        row = session.get(OutreachMessage, row_id, with_for_update=True)
        if row is None or row.status is not OutreachStatus.sending:
            return
        lead = session.get(Lead, row.lead_id)
        if lead is not None:
            apply(session, row, lead)


def _outcome(
    state: PassState,
    session: Session,
    row: OutreachMessage,
    lead: Lead,
    result: SendResult,
    quota: Quota,
) -> None:
    if result.outcome is SendOutcome.accepted:
        row.status, row.sent_at = OutreachStatus.sent, state.now
        _contacted(state, row, lead)
        return
    if result.outcome is SendOutcome.retry_later:
        quota.give_back(session)
        state.report.skip(Limit.email_retry_later)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = OutreachStatus.failed
            row.reason = f"gave up after {row.attempts} attempts: {result.detail}"[:1000]
            state.counts.failed += 1
            return
        row.status = OutreachStatus.planned
        row.scheduled_at = RETRY_BACKOFF.after(row.attempts, state.now)
        row.reason = f"temporary failure: {result.detail}"[:1000]
        row.claimed_by = row.claimed_at = row.message_id = None
        return
    row.status, row.reason = OutreachStatus.failed, f"rejected: {result.detail}"[:1000]
    state.counts.failed += 1
    if lead_status.may_move(lead.status, LeadStatus.bounced):
        lead.status, lead.status_reason = LeadStatus.bounced, row.reason
    lead.next_step_at = None
    # The receiving server refused our own message at send time: the strongest bounce evidence.
    grounds = safety.Grounds(
        SuppressionSource.bounce,
        f"refused at send: {row.message_id or 'no Message-ID'}: {result.detail}",
    )
    safety.suppress(
        session, SuppressionKind.email, lead.email, f"hard bounce: {result.detail}", grounds
    )
    outbox_status.stop_sequences(session, [lead.id], "lead bounced", now=state.now)


def _contacted(state: PassState, row: OutreachMessage, lead: Lead) -> None:
    if lead_status.may_move(lead.status, LeadStatus.contacted):
        lead.status = LeadStatus.contacted
    lead.last_contacted_at = state.now
    delivered(state, row, lead)
