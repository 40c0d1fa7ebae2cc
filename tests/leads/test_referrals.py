"""The stand-in an absence notice names, added as a lead: once, refused with a reason, and then
qualified, scored and enrolled by the cycle as an imported lead would be."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cam.core.config import CAMCycleConfig, default_safety_settings
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import MailboxConfig
from cam.core.models import (
    Event,
    Lead,
    LeadStatus,
    OutreachMessage,
    Reply,
    ReplyClass,
    Suppression,
    SuppressionKind,
    SuppressionSource,
)
from cam.leads import referrals
from cam.leads.event_payloads import LeadReferred, ReferralRefused
from cam.leads.qualify import process_new_leads
from cam.outreach.scheduling import schedule_outreach
from tests.escalation.helpers import cycle_context

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
ANA = "ana.berg@wayne.example"
# Two reps: the stand-in goes to Ana's, not to the roomiest.
CONFIG = CAMCycleConfig(
    mailboxes=[
        MailboxConfig(key=key, **{"from": f"{key.title()} <{key}@acme.example>"}, name=key.title())
        for key in ("ben", "maya")
    ]
)


def _notice(
    sessions: SessionFactory, stand_in: str | None, name: str | None = "Jonas Keller"
) -> int:
    """Ana's lead (owned by Maya, her company's facts and her phone) and her notice of leaving
    that names `stand_in`; return the reply's id."""
    with unit_of_work(sessions) as session:
        lead = Lead(
            email=ANA,
            first_name="Ana",
            last_name="Berg",
            company="Wayne Enterprises",
            title="Head of Sales",
            domain="wayne.example",
            timezone="Europe/Berlin",
            status=LeadStatus.contacted,
            mailbox="maya",
            custom_fields={
                "industry": "Software",
                "employees": "600",
                "owner": "maya",
                "phone": "+49 30 1234567",
            },
        )
        session.add(lead)
        session.flush()
        reply = Reply(
            lead_id=lead.id,
            message_id="<gone.1@wayne.example>",
            from_address=ANA,
            subject="Re: A quick question",
            body_excerpt=f"I have left the company. Please write to {name} <{stand_in}>.",
            classification=ReplyClass.out_of_office,
            referral_email=stand_in,
            referral_name=name,
        )
        session.add(reply)
        session.flush()
        return reply.id


def _add(
    sessions: SessionFactory,
    reply_id: int,
    *,
    by: str = "U0MAYA",
    now: datetime = NOW,
    config: CAMCycleConfig = CONFIG,
) -> referrals.Referred | referrals.Refused:
    with unit_of_work(sessions) as session:
        return referrals.add_referral(session, config, reply_id=reply_id, by=by, now=now)


def _lead(sessions: SessionFactory, email: str) -> Lead | None:
    with sessions() as session:
        return session.scalars(select(Lead).where(Lead.email == email)).first()


def _events(sessions: SessionFactory, name: str) -> list[dict[str, object]]:
    with sessions() as session:
        return [e.details for e in session.scalars(select(Event).where(Event.name == name))]


def test_the_stand_in_becomes_a_lead_of_the_same_rep_and_company_once(
    sessions: SessionFactory,
) -> None:
    reply_id = _notice(sessions, "jonas.keller@wayne.example")
    added = _add(sessions, reply_id)
    assert isinstance(added, referrals.Referred)
    assert (added.email, added.name, added.by, added.at, added.changed) == (
        "jonas.keller@wayne.example",
        "Jonas Keller",
        "U0MAYA",
        NOW,
        True,
    )
    lead = _lead(sessions, "jonas.keller@wayne.example")
    assert lead is not None and lead.id == added.lead_id
    assert (lead.first_name, lead.last_name, lead.company, lead.domain) == (
        "Jonas",
        "Keller",
        "Wayne Enterprises",
        "wayne.example",
    )
    assert (lead.mailbox, lead.timezone, lead.status) == ("maya", "Europe/Berlin", LeadStatus.new)
    assert lead.source == f"referral: named by {ANA} on reply {reply_id}"
    # The company's facts and owner come along; Ana's phone does not.
    assert lead.custom_fields == {
        "industry": "Software",
        "employees": "600",
        "owner": "maya",
        "referred_by": ANA,
    }
    [event] = _events(sessions, LeadReferred.name)
    assert event == {
        "reply_id": reply_id,
        "lead_id": lead.id,
        "email": "jonas.keller@wayne.example",
        "named_by": ANA,
        "by": "U0MAYA",
        "mailbox": "maya",
        "company": "Wayne Enterprises",
    }

    # A second click, by someone else and later, adds nothing and says who added them when.
    again = _add(sessions, reply_id, by="U0BEN", now=LATER)
    assert again == referrals.Referred(
        reply_id, lead.id, "jonas.keller@wayne.example", "Jonas Keller", "U0MAYA", NOW, False
    )
    with sessions() as session:
        assert len(session.scalars(select(Lead)).all()) == 2
    assert len(_events(sessions, LeadReferred.name)) == 1


def test_the_cycle_scores_and_enrols_the_stand_in_as_an_imported_lead(
    sessions: SessionFactory,
) -> None:
    reply_id = _notice(sessions, "jonas.keller@wayne.example")
    assert isinstance(_add(sessions, reply_id), referrals.Referred)
    ctx = cycle_context(sessions, now=NOW)
    ctx.config = CONFIG
    process_new_leads(ctx)
    schedule_outreach(ctx)
    lead = _lead(sessions, "jonas.keller@wayne.example")
    assert lead is not None
    # cam/data/scoring.toml: a company domain, "software", 50 and 500 employees.
    assert (lead.status, lead.score) == (LeadStatus.scheduled, 50)
    assert lead.score_reasons == [
        "+20 company domain (wayne.example)",
        "+15 industry is 'software'",
        "+10 employees 600 >= 50",
        "+5 employees 600 >= 500",
    ]
    assert lead.campaign_id is not None and lead.mailbox == "maya"
    with sessions() as session:
        [first] = session.scalars(
            select(OutreachMessage).where(OutreachMessage.lead_id == lead.id)
        ).all()
    # The follow-up comes from Ana's rep.
    assert (first.step, first.mailbox) == (1, "maya")


def test_a_stand_in_at_another_domain_keeps_the_rep_but_not_the_company(
    sessions: SessionFactory,
) -> None:
    reply_id = _notice(sessions, "jonas@keller-consulting.example", name=None)
    added = _add(sessions, reply_id)
    assert isinstance(added, referrals.Referred) and added.name == "jonas@keller-consulting.example"
    lead = _lead(sessions, "jonas@keller-consulting.example")
    assert lead is not None
    assert (lead.first_name, lead.last_name, lead.company, lead.timezone) == ("", "", "", None)
    assert (lead.mailbox, lead.custom_fields) == ("maya", {"owner": "maya", "referred_by": ANA})


def _suppress(sessions: SessionFactory, kind: SuppressionKind, value: str) -> None:
    with unit_of_work(sessions) as session:
        session.add(Suppression(kind=kind, value=value, source=SuppressionSource.phrase))


@pytest.mark.parametrize(
    ("stand_in", "before", "why"),
    [
        ("jonas@@wayne.example", None, "jonas@@wayne.example is not a valid address"),
        (ANA.upper(), None, f"{ANA} is the address that wrote the reply"),
        ("kim@wayne.example", "lead", "kim@wayne.example is already a lead (contacted)"),
        ("kim@wayne.example", "address", "kim@wayne.example: suppressed address"),
        ("kim@eu.wayne.example", "domain", "kim@eu.wayne.example: suppressed domain wayne.example"),
        ("kim@rival.example", "blocked", "kim@rival.example: blocked domain rival.example"),
    ],
)
def test_a_stand_in_the_cycle_would_turn_away_is_refused_with_the_reason(
    sessions: SessionFactory, stand_in: str, before: str | None, why: str
) -> None:
    reply_id = _notice(sessions, stand_in)
    config = CONFIG
    if before == "lead":
        with unit_of_work(sessions) as session:
            session.add(Lead(email=stand_in, status=LeadStatus.contacted))
    elif before == "address":
        _suppress(sessions, SuppressionKind.email, stand_in)
    elif before == "domain":
        _suppress(sessions, SuppressionKind.domain, "wayne.example")
    elif before == "blocked":
        safety = default_safety_settings().model_copy(update={"blocked_domains": {"rival.example"}})
        config = CAMCycleConfig(safety_settings=safety)
    refused = _add(sessions, reply_id, config=config)
    assert isinstance(refused, referrals.Refused)
    assert refused.why.startswith(why)
    with sessions() as session:
        leads = session.scalars(select(Lead.email).order_by(Lead.id)).all()
    assert leads == [ANA, stand_in] if before == "lead" else leads == [ANA]
    [event] = _events(sessions, ReferralRefused.name)
    assert (event["reply_id"], event["by"], event["why"]) == (reply_id, "U0MAYA", refused.why)
    assert _events(sessions, LeadReferred.name) == []
