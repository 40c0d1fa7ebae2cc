"""The reply corpus (`corpus/*.eml`), what each message must be classified as, and the leads and
outreach it answers, so tests can seed a database the corpus replies to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from cam.core.models import (
    Campaign,
    CampaignStep,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    ReplyClass,
)

CORPUS = Path(__file__).parent / "corpus"
# The moment the tests read the inbox: a Wednesday, after every corpus message was sent.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
# When each seeded lead's next planned message was due before any reply came.
PLANNED_AT = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    file: str
    kind: ReplyClass
    lead: str  # the lead the message is about
    rule: str  # a fragment of the recorded matched rule
    message_ids: tuple[str, ...] = ()  # our outreach Message-IDs it answers (steps 1, 2, ...)
    return_date: date | None = None
    hard_bounce: bool = False


EXPECTED = (
    Expected(
        "interested.eml",
        ReplyClass.interested,
        "dana.reyes@northwind.example",
        "model interested",
        ("<cam.101.1@acme.example>",),
    ),
    Expected(
        "not_interested.eml",
        ReplyClass.not_interested,
        "li.wei@contoso.example",
        "model not_interested",
        ("<cam.102.1@acme.example>", "<cam.102.2@acme.example>"),
    ),
    Expected("question.eml", ReplyClass.question, "sam.quinn@fabrikam.example", "model question"),
    Expected(
        "unsubscribe_request.eml",
        ReplyClass.unsubscribe,
        "olga@tailspin.example",
        "rule unsubscribe.request",
        ("<cam.104.1@acme.example>",),
    ),
    Expected(
        "other.eml",
        ReplyClass.other,
        "priya.nair@initech.example",
        "model other",
        ("<cam.105.1@acme.example>",),
    ),
    Expected(
        "ooo_rfc3834.eml",
        ReplyClass.out_of_office,
        "marta.kowalska@globex.example",
        "header Auto-Submitted",
        ("<cam.106.1@acme.example>",),
        return_date=date(2026, 12, 3),
    ),
    Expected(
        "ooo_exchange.eml",
        ReplyClass.out_of_office,
        "kenji.watanabe@hooli.example",
        "header X-Auto-Response-Suppress",
        ("<cam.107.1@acme.example>",),
        return_date=date(2026, 12, 3),
    ),
    Expected(
        "ooo_subject_only.eml",
        ReplyClass.out_of_office,
        "ines.duarte@vandelay.example",
        "subject matched 'Out of Office'",
        return_date=date(2026, 12, 7),
    ),
    Expected(
        "bounce_postfix_dsn.eml",
        ReplyClass.bounce,
        "nobody@umbrella.example",
        "delivery report: failed 5.1.1",
        ("<cam.108.1@acme.example>",),
        hard_bounce=True,
    ),
    Expected(
        "bounce_exchange_dsn.eml",
        ReplyClass.bounce,
        "ghost@stark.example",
        "delivery report: failed 5.1.1",
        ("<cam.109.1@acme.example>",),
        hard_bounce=True,
    ),
    Expected(
        "delay_warning.eml",
        ReplyClass.other,
        "slow@vandelay.example",
        "delayed 4.4.7",
        ("<cam.110.1@acme.example>",),
    ),
    Expected(
        "bounce_qmail_freetext.eml",
        ReplyClass.bounce,
        "gone@piedpiper.example",
        "mail-system notice text: permanent failure 5.1.1 (user_unknown)",
        ("<cam.111.1@acme.example>",),
        hard_bounce=True,
    ),
    Expected(
        "latin1_interested.eml",
        ReplyClass.interested,
        "jose.martinez@initrode.example",
        "model interested",
        ("<cam.112.1@acme.example>",),
    ),
    Expected(
        "cp1252_not_interested.eml",
        ReplyClass.not_interested,
        "claire.dubois@massive.example",
        "model not_interested",
        ("<cam.113.1@acme.example>",),
    ),
    Expected(
        "unknown_charset_question.eml",
        ReplyClass.question,
        "tomasz.nowak@soylent.example",
        "model question",
        ("<cam.114.1@acme.example>",),
    ),
    Expected(
        "broken_mime_unsubscribe.eml",
        ReplyClass.unsubscribe,
        "ravi.patel@cyberdyne.example",
        "rule unsubscribe.request",
        ("<cam.115.1@acme.example>",),
    ),
    Expected(
        "gone_left_company.eml",
        ReplyClass.out_of_office,
        "helga.berg@wayne.example",
        "rule absence.gone",
        ("<cam.116.1@acme.example>",),
    ),
)


def raw(file: str) -> bytes:
    return (CORPUS / file).read_bytes()


def seed(session: Session) -> dict[str, Lead]:
    """Add a contacted lead per corpus message: its sent steps, and one more step planned."""
    campaign = Campaign(key="corpus", name="Corpus campaign")
    campaign.steps = [
        CampaignStep(position=n, channel=Channel.email, delay_days=3 * (n - 1)) for n in (1, 2, 3)
    ]
    session.add(campaign)
    session.flush()
    leads: dict[str, Lead] = {}
    for expected in EXPECTED:
        if expected.lead in leads:
            continue
        sent = len(expected.message_ids)
        lead = Lead(
            email=expected.lead,
            first_name=expected.lead.split("@")[0].split(".")[0].title(),
            domain=expected.lead.split("@")[1],
            status=LeadStatus.contacted,
            campaign_id=campaign.id,
            steps_planned=sent + 1,
            next_step_at=NOW + timedelta(days=6),
            last_contacted_at=NOW - timedelta(days=1),
        )
        session.add(lead)
        session.flush()
        for step, message_id in enumerate(expected.message_ids, start=1):
            session.add(
                OutreachMessage(
                    lead_id=lead.id,
                    campaign_id=campaign.id,
                    step=step,
                    channel=Channel.email,
                    scheduled_at=NOW - timedelta(days=2),
                    status=OutreachStatus.sent,
                    message_id=message_id,
                    sent_at=NOW - timedelta(days=2),
                )
            )
        session.add(
            OutreachMessage(
                lead_id=lead.id,
                campaign_id=campaign.id,
                step=sent + 1,
                channel=Channel.email,
                scheduled_at=PLANNED_AT,
                status=OutreachStatus.planned,
            )
        )
        leads[expected.lead] = lead
    session.flush()
    return leads
