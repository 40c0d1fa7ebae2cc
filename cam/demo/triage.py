"""What CAM made of each scripted mail, read back from the database the cycle wrote.

Nothing here is decided again: the class, the reason and the evidence are the stored ones
(the reply row, the lead, the suppression ledger, the approval), so the demo shows what a team
would find after the same mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.models import (
    Approval,
    ApprovalKind,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    Suppression,
    SuppressionKind,
)
from cam.demo.script import ScriptedMail

# How the reply phase begins the rule of a bounce it does not trust (cam/replies/reading.py).
UNVERIFIED = "unverified notice"
REVIEW_WORDS = {
    "opt_out_guess": "only the model read an opt-out: a person confirms it on the card",
    "unsure": "the model is unsure: a person decides on the card",
}


@dataclass(frozen=True)
class Triage:
    """One scripted mail and what CAM stored and did about it."""

    mail: ScriptedMail
    # The class CAM stored; None when no cycle has read the mail yet.
    stored: ReplyClass | None
    why: str
    did: str


def triage(session: Session, mail: Sequence[ScriptedMail], timezone: str) -> list[Triage]:
    """Read, for each scripted mail, its stored reply and what happened to its lead."""
    found = []
    for scripted in mail:
        reply = session.scalar(select(Reply).where(Reply.message_id == scripted.message_id))
        if reply is None:
            found.append(Triage(scripted, None, "", "not read yet: no cycle after it arrived"))
            continue
        lead = session.get(Lead, reply.lead_id) if reply.lead_id is not None else None
        why = reply.explanation or reply.matched_rule or ""
        if reply.classification is ReplyClass.other and why.startswith(UNVERIFIED):
            why = f"a bounce not trusted: {_unverified(reply)[1]}"
        did = _did(session, reply, lead, timezone)
        found.append(Triage(scripted, reply.classification, why, did))
    return found


def _did(session: Session, reply: Reply, lead: Lead | None, timezone: str) -> str:
    if lead is None:
        return "matched no lead: stored for the team"
    if reply.review is not None:
        return REVIEW_WORDS.get(reply.review, reply.review)
    kind = reply.classification
    if kind in (ReplyClass.unsubscribe, ReplyClass.bounce):
        return _suppressed(session, lead)
    if kind is ReplyClass.out_of_office:
        return _next_step(session, reply, lead, timezone)
    if kind is ReplyClass.other and (reply.matched_rule or "").startswith(UNVERIFIED):
        return f"nobody suppressed: {_unverified(reply)[0]} (a dry run sends nothing)"
    stopped = _stopped(session, reply, lead)
    if lead.status is LeadStatus.hot:
        approval = session.scalar(
            select(Approval.status).where(
                Approval.lead_id == lead.id, Approval.kind == ApprovalKind.escalate_lead
            )
        )
        waiting = f"approval to hand it to the CRM: {approval}" if approval else "no approval"
        return f"{stopped}; hot lead, {waiting}"
    return stopped


def _suppressed(session: Session, lead: Lead) -> str:
    row = session.scalar(
        select(Suppression).where(
            Suppression.kind == SuppressionKind.email,
            func.lower(Suppression.value) == lead.email.lower(),
        )
    )
    if row is None:
        return f"not suppressed (lead {lead.status})"
    return f"{lead.email} suppressed for good ({row.source}); evidence: {row.evidence}"


def _stopped(session: Session, reply: Reply, lead: Lead) -> str:
    """Say that the lead's sequence stopped, with the later steps it skipped."""
    if lead.next_step_at is not None:
        return f"sequence goes on (lead {lead.status})"
    skipped = session.scalar(
        select(func.count(OutreachMessage.id)).where(
            OutreachMessage.lead_id == lead.id,
            OutreachMessage.step > _answered_step(session, reply),
            OutreachMessage.status == OutreachStatus.skipped,
        )
    )
    if not skipped:
        return "sequence stopped"
    return f"sequence stopped ({skipped} planned step{'' if skipped == 1 else 's'} skipped)"


def _next_step(session: Session, reply: Reply, lead: Lead, timezone: str) -> str:
    """Say when the absent lead's next step is planned, against the return date."""
    back = f"back {reply.return_date:%a %-d %b}" if reply.return_date else "no return date"
    following = session.scalar(
        select(OutreachMessage)
        .where(
            OutreachMessage.lead_id == lead.id,
            OutreachMessage.step > _answered_step(session, reply),
        )
        .order_by(OutreachMessage.step)
        .limit(1)
    )
    zone = safety.zone(timezone)
    if following is not None:
        when = following.scheduled_at.astimezone(zone)
        return f"{back}: step {following.step} ({following.channel}) planned for {when:%a %-d %b}"
    if lead.next_step_at is not None:
        return f"{back}: next step due {lead.next_step_at.astimezone(zone):%a %-d %b}"
    return f"{back}: no further step planned"


def _answered_step(session: Session, reply: Reply) -> int:
    """The campaign step of the email the reply answers (0 when it cites none of ours)."""
    answered = session.get(OutreachMessage, reply.outreach_id) if reply.outreach_id else None
    return answered.step if answered is not None else 0


def _unverified(reply: Reply) -> tuple[str, str]:
    """Split a stored unverified notice into why it is not trusted and what it reported."""
    why, _, reported = (reply.matched_rule or "").partition("; ")
    return why.removeprefix(UNVERIFIED).split(": ", 1)[-1], reported
