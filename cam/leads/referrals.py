"""The stand-in an absence notice names ("I left, please write to Jonas Keller"), as a new lead.

The lead is what an import of one row would give: its address checked by the importer's
check, stored `new`, so the next cycle qualifies, scores and enrols it under the same rules
and the same daily allowance as any imported lead. What would turn it away at once (an
invalid, suppressed or blocked address, one that is a lead already or wrote the reply itself)
is said at once, by the qualification's own rules. From the reply's lead it takes the owner
and mailbox, so the follow-up comes from the same rep, and, when the stand-in's address is
at the same company's domain, the company, its time zone and the custom fields that are not
the person's own. The source names the referral: "named by <their address> on reply <id>".

Taken once per reply: the lead's unique address settles two clicks at the same moment, and
its `cam.lead_referred` event says who added it and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from email_validator import EmailNotValidError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import bulk, events, safety
from cam.core.columns import JsonObject
from cam.core.config import CAMCycleConfig
from cam.core.models import Event, Lead, LeadStatus, Reply
from cam.leads import qualify
from cam.leads.addresses import normalise_email
from cam.leads.event_payloads import LeadReferred, ReferralRefused
from cam.leads.rows import split_name

# The custom field naming whoever named the lead (templates may thank them).
REFERRED_BY = "referred_by"
OWNER = "owner"
# Custom fields about the person, not their company: never carried to a colleague.
PERSONAL_FIELDS = frozenset({"phone", REFERRED_BY})


class _LeadRow(TypedDict):
    """The columns of the new lead: an INSERT's values, typed."""

    email: str
    first_name: str
    last_name: str
    company: str
    domain: str
    timezone: str | None
    source: str
    custom_fields: JsonObject
    mailbox: str | None
    status: LeadStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Referred:
    """The lead added from a reply's stand-in: who added it when, and whether this call did."""

    reply_id: int
    lead_id: int
    email: str
    name: str
    by: str
    at: datetime
    changed: bool


@dataclass(frozen=True)
class Refused:
    """Why a reply's stand-in was not added."""

    reply_id: int
    why: str


def add_referral(
    session: Session, config: CAMCycleConfig, *, reply_id: int, by: str, now: datetime
) -> Referred | Refused:
    """Add the stand-in the reply names as a lead, once; a refusal is recorded with its reason.

    `by` is who asks (a Slack user ID); the caller commits.
    """
    reply = session.get(Reply, reply_id)
    if reply is None or not reply.referral_email:
        why = "no such reply" if reply is None else "the reply names no one to write to instead"
        return _refuse(session, reply_id, None, by, why, now)
    done = referred(session, reply_id)
    if done is not None:
        return done
    original = session.get(Lead, reply.lead_id) if reply.lead_id is not None else None
    named_by = (original.email if original is not None else reply.from_address).lower()
    try:
        email = normalise_email(reply.referral_email)
    except EmailNotValidError as exc:
        why = f"{reply.referral_email} is not a valid address: {exc}"
        return _refuse(session, reply_id, reply.referral_email, by, why, now)
    if email in (named_by, reply.from_address.lower()):
        why = f"{email} is the address that wrote the reply"
        return _refuse(session, reply_id, email, by, why, now)
    status = session.scalars(select(Lead.status).where(Lead.email == email)).first()
    if status is not None:
        why = f"{email} is already a lead ({status.value})"
        return _refuse(session, reply_id, email, by, why, now)
    values = _lead(reply, original, email, named_by, now)
    verdict = qualify.judge(session, config, email=email, custom=values["custom_fields"])
    if verdict.disqualified is not None:
        return _refuse(session, reply_id, email, by, f"{email}: {verdict.status_reason}", now)
    inserted = bulk.insert_ignoring(session, Lead, [values], on=["email"], returning=[Lead.id])
    if not inserted:
        # Another click (or an import) stored the address since it was looked for.
        why = f"{email} is already a lead"
        return referred(session, reply_id) or _refuse(session, reply_id, email, by, why, now)
    [(lead_id,)] = inserted
    added = LeadReferred(
        reply_id=reply_id,
        lead_id=lead_id,
        email=email,
        named_by=named_by,
        by=by,
        mailbox=values["mailbox"],
        company=values["company"],
    )
    events.record(session, added, at=now)
    name = f"{values['first_name']} {values['last_name']}".strip() or email
    return Referred(reply_id, lead_id, email, name, by, now, changed=True)


def referred(session: Session, reply_id: int) -> Referred | None:
    """The lead added from the reply's stand-in, if one was."""
    reply_key = events.field(LeadReferred, "reply_id")
    event = session.scalars(
        select(Event)
        .where(Event.name == LeadReferred.name, reply_key == reply_id)
        .order_by(Event.id)
        .limit(1)
    ).first()
    if event is None:
        return None
    added = LeadReferred.model_validate(event.details)
    lead = session.get(Lead, added.lead_id)
    name = (lead.full_name if lead is not None else "") or added.email
    return Referred(reply_id, added.lead_id, added.email, name, added.by, event.created_at, False)


def _lead(
    reply: Reply, original: Lead | None, email: str, named_by: str, now: datetime
) -> _LeadRow:
    """The new lead's columns: the reply's stand-in, with what it shares with the lead."""
    first, last = split_name(reply.referral_name or "")
    domain = safety.domain_of(email)
    theirs = (original.domain or safety.domain_of(original.email)) if original else ""
    colleague = original is not None and _same_company(domain, theirs)
    custom: JsonObject = {}
    if original is not None and colleague:
        custom = {k: v for k, v in original.custom_fields.items() if k not in PERSONAL_FIELDS}
    if original is not None and original.custom_fields.get(OWNER):
        custom[OWNER] = original.custom_fields[OWNER]
    custom[REFERRED_BY] = named_by
    return {
        "email": email,
        "first_name": first,
        "last_name": last,
        "company": original.company if original is not None and colleague else "",
        "domain": domain,
        "timezone": original.timezone if original is not None and colleague else None,
        "source": f"referral: named by {named_by} on reply {reply.id}"[:200],
        "custom_fields": custom,
        "mailbox": original.mailbox if original is not None else None,
        "status": LeadStatus.new,
        "created_at": now,
        "updated_at": now,
    }


def _same_company(domain: str, theirs: str) -> bool:
    """Whether two addresses' domains are one company's: equal, or one under the other."""
    return bool(theirs) and (
        theirs in safety.domain_suffixes(domain) or domain in safety.domain_suffixes(theirs)
    )


def _refuse(
    session: Session, reply_id: int, email: str | None, by: str, why: str, now: datetime
) -> Refused:
    refusal = ReferralRefused(reply_id=reply_id, email=email, by=by, why=why)
    events.record(session, refusal, at=now)
    return Refused(reply_id, why)
