"""The events of phase 1 and of lead imports."""

from __future__ import annotations

from pydantic import Field

from cam.core.events import EventPayload


class LeadsProcessed(EventPayload):
    """One qualify pass: leads looked at, turned away, and scored (the digest's "qualified")."""

    name = "cam.leads_processed"

    processed: int = Field(ge=0)
    disqualified: int = Field(ge=0)
    scored: int = Field(ge=0)


class LeadsImported(EventPayload):
    """A file imported, by whom (None from the terminal), and what became of its rows."""

    name = "cam.leads_imported"

    file: str
    by: str | None
    rows: int
    imported: int
    already_present: int
    duplicates_in_file: int
    invalid: int


class LeadReferred(EventPayload):
    """A stand-in an absence notice named, added as a lead from its reply: by whom (a Slack
    user ID), who named them, and the mailbox and company carried over ("" for another
    company's domain)."""

    name = "cam.lead_referred"

    reply_id: int
    lead_id: int
    email: str
    named_by: str
    by: str
    mailbox: str | None
    company: str


class ReferralRefused(EventPayload):
    """A reply's stand-in not added as a lead, and why (invalid, suppressed, already a lead)."""

    name = "cam.referral_refused"

    reply_id: int
    email: str | None
    by: str
    why: str
