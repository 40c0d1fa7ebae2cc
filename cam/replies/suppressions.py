"""The suppression ledger: who is never contacted, on what grounds, and undoing a decision.

A person's own opt-out (the one-click link, a complaint) is their word and stands: it is never
restored here. What a machine or the team decided (a verified bounce, a confirmed model guess,
a triage click, a row added by hand or written before sources were kept) a person may restore,
saying why; so may they an opt-out phrase a rule read in a reply, after reading the reply (the
ledger quotes the phrase and names the reply), since a rule can misread. A restore is the one
move back out of `bounced` or `unsubscribed`; the lead's sequence resumes only when asked, from
the steps its stop skipped.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.models import (
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Suppression,
    SuppressionKind,
    SuppressionSource,
)
from cam.core.unsubscribe_tokens import normalize_email
from cam.leads.status import FINAL
from cam.replies.event_payloads import SuppressionRestored
from cam.replies.ledger_row import LedgerRow

# Stopped leads whose sequence a restore may resume: not one a person is already talking to.
_RESUMABLE = frozenset({*FINAL, LeadStatus.replied})
# Reasons rows were skipped for by a stop or a suppression, which a restore lifts.
_STOPPED_BY = ("replied", "bounced", "lead bounced", "unsubscribed", "suppressed")


class NotSuppressed(LookupError):
    """The address has no suppression to restore."""


class RestoreRefused(ValueError):
    """The suppression may not be restored (the person's own opt-out), or no reason was given."""


class Restored(BaseModel):
    """What a restore lifted and did to the address's leads."""

    email: str
    source: SuppressionSource
    lead_ids: list[int]
    resumed: bool
    # Outbox steps put back in the plan (with `resumed`).
    steps_revived: int = 0


def ledger(
    session: Session, *, email: str | None = None, source: SuppressionSource | None = None
) -> list[LedgerRow]:
    """Every suppression, newest first, of one address (or its domain) and one source if asked."""
    query = select(Suppression).order_by(Suppression.created_at.desc(), Suppression.id.desc())
    if email:
        address = normalize_email(email)
        domain = address.rpartition("@")[2]
        query = query.where(func.lower(Suppression.value).in_({address, domain}))
    if source is not None:
        query = query.where(Suppression.source == source)
    return [LedgerRow.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def refusal(source: SuppressionSource) -> str | None:
    """Why a suppression of this source may not be restored, or None when it may."""
    if source.persons_own:
        return (
            f"{source.value.replace('_', '-')} is the person's own opt-out: their word stands, "
            "and only they can take it back by writing to us"
        )
    return None


def caution(source: SuppressionSource) -> str | None:
    """What to check before restoring a suppression of this source, or None."""
    if source is SuppressionSource.phrase:
        return (
            "a rule read an opt-out phrase in their reply: restore only if the reply, read "
            "whole, does not ask to be removed (say so in the reason)"
        )
    return None


def restore(
    session: Session, *, email: str, reason: str, by: str, now: datetime, resume: bool = False
) -> Restored:
    """Lift the suppression of `email`, record who and why, and resume its sequence if asked."""
    address = normalize_email(email)
    row = session.scalars(
        select(Suppression).where(
            Suppression.kind == SuppressionKind.email, func.lower(Suppression.value) == address
        )
    ).first()
    if row is None:
        raise NotSuppressed(f"{address} is not suppressed")
    if (refused := refusal(row.source)) is not None:
        raise RestoreRefused(refused)
    if not reason.strip():
        raise RestoreRefused("say why it is restored (a reason is kept in the ledger's events)")
    lifted = LedgerRow.model_validate(row, from_attributes=True)
    session.execute(delete(Suppression).where(Suppression.id == row.id))
    leads = session.scalars(select(Lead).where(func.lower(Lead.email) == address)).all()
    why = f"restored by {by}: {reason.strip()}"[:500]
    revived = sum(_reopen(session, lead, why, now, resume) for lead in leads)
    events.record(
        session,
        SuppressionRestored(
            email=address,
            by=by,
            reason=reason.strip()[:1000],
            resume=resume,
            steps_revived=revived,
            lead_ids=[lead.id for lead in leads],
            lifted=lifted,
        ),
    )
    return Restored(
        email=address,
        source=lifted.source,
        lead_ids=[lead.id for lead in leads],
        resumed=resume,
        steps_revived=revived,
    )


def _reopen(session: Session, lead: Lead, why: str, now: datetime, resume: bool) -> int:
    """Take the lead out of its final status; resume its sequence when asked. Return how many
    skipped steps went back into the plan."""
    if not resume or lead.status not in _RESUMABLE:
        if lead.status in FINAL:
            # Stopped, as after any reply: nothing goes out until someone resumes it.
            lead.status = LeadStatus.replied if lead.replied_at else LeadStatus.contacted
            lead.status_reason, lead.next_step_at = f"{why}; sequence not resumed"[:500], None
        return 0
    skipped = session.scalars(
        select(OutreachMessage).where(
            OutreachMessage.lead_id == lead.id,
            OutreachMessage.status == OutreachStatus.skipped,
            OutreachMessage.sent_at.is_(None),
        )
    ).all()
    revived = 0
    for step in skipped:
        if not (step.reason or "").startswith(_STOPPED_BY):
            continue  # skipped by a safety rule (a cap, a window): it stays skipped
        step.status, step.reason, step.updated_at = OutreachStatus.planned, why[:1000], now
        step.scheduled_at = max(step.scheduled_at, now)
        revived += 1
    lead.status = LeadStatus.contacted if lead.last_contacted_at else LeadStatus.scheduled
    lead.status_reason = f"{why}; sequence resumed"[:500]
    # With a step back in the outbox, its send plans the next one; else planning resumes now.
    lead.next_step_at = None if revived else now
    return revived
