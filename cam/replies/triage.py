"""The team's decision on a reply card: Interested, Not interested, Unsubscribe, Snooze.

A decision is taken once per reply: its label row (unique per reply) is inserted first, and
only the call that inserted it carries the decision out, in the same transaction; a double
click or a retried request finds the label and changes nothing. The label keeps the
classifier's answer beside the person's, which is what `cam replies accuracy` compares and
what the classifier learns from once it is trusted (`labels`). Who may triage from where is
the bot's to check; here each person's labels are limited per hour, and a refused attempt is
an event. Sending a lead to the CRM still takes an approver's Approve on the escalation this
may request.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    LabelTrust,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyLabel,
    SuppressionSource,
    TriageChoice,
)
from cam.core.safety import Grounds
from cam.leads.status import FINAL
from cam.leads.status import OPEN as IN_SEQUENCE
from cam.outreach.outbox_status import NOT_YET_SENT
from cam.replies import escalation_requests as escalations
from cam.replies import labels, opt_out_review, unsubscribe
from cam.replies.event_payloads import LabelTrusted, ReplyTriaged, TriageRefusal


class UnknownReply(LookupError):
    """No reply has this id."""


class TriageRefused(ValueError):
    """The decision cannot be taken as asked (a snooze without a future date, too many
    labels this hour); the text says why."""


class Triage(BaseModel):
    """What became of one attempt to decide a reply card."""

    reply_id: int
    choice: TriageChoice
    decided_by: str
    decided_at: datetime
    changed: bool  # this call took the decision
    approval_id: int | None = None


class Agreement(BaseModel):
    """What became of one attempt to vouch for a reply's label."""

    reply_id: int
    trust: LabelTrust
    trusted_by: str
    changed: bool  # this call made the label trusted


def decide(
    session_factory: SessionFactory,
    *,
    reply_id: int,
    choice: TriageChoice,
    by: str,
    now: datetime,
    zone: ZoneInfo,
    snooze_until: date | None = None,
    card: tuple[str, str] | None = None,
    approvers: Collection[str] = (),
    per_hour: int = labels.PER_HOUR,
) -> Triage:
    """Take `choice` on the reply once, whoever else tries at the same moment.

    `card` is the (channel, ts) of the card it was taken on, kept with the label.
    """
    if choice is TriageChoice.snooze:
        _check_snooze(snooze_until, now.astimezone(zone).date())
    with unit_of_work(session_factory) as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            raise UnknownReply(f"no reply with id {reply_id}")
        label = _label(session, reply_id)
        if label is not None:
            return _already(label)
        over = _over_limit(session, by, now, per_hour)
        if over is None:
            stored = labels.record(
                session,
                reply,
                choice,
                by=by,
                now=now,
                approver=by in approvers,
                snooze_until=snooze_until,
                card=card,
            )
            if not stored:  # someone else's click won at the same moment
                return _already(session.scalars(_label_of(reply_id)).one())
            lead = session.get(Lead, reply.lead_id) if reply.lead_id is not None else None
            approval_id = _carry_out(session, reply, lead, choice, by, now, zone, snooze_until)
            events.record(
                session,
                ReplyTriaged(reply_id=reply_id, choice=choice, by=by, lead_id=reply.lead_id),
            )
    if over is not None:
        raise refused(session_factory, reply_id=reply_id, by=by, action=choice.value, why=over)
    return Triage(
        reply_id=reply_id,
        choice=choice,
        decided_by=by,
        decided_at=now,
        changed=True,
        approval_id=approval_id,
    )


def agree(
    session_factory: SessionFactory,
    *,
    reply_id: int,
    by: str,
    now: datetime,
    approvers: Collection[str] = (),
    per_hour: int = labels.PER_HOUR,
) -> Agreement:
    """Vouch for the reply's label as a second person (or an approver): from then on the
    classifier learns from it."""
    with unit_of_work(session_factory) as session:
        label = _label(session, reply_id)
        why = _over_limit(session, by, now, per_hour)
        if label is None or label.label is None:
            why = "this reply has no label to agree with"
        elif label.undone_at is not None:
            why = "this label was undone; it teaches nothing"
        elif label.trusted_at is None and label.decided_by == by and by not in approvers:
            why = "a second person (or an approver) must agree: you gave this label"
        if why is None and label is not None:
            approver = by in approvers
            changed = labels.vouch(
                session, reply_id, label.label, by=by, approver=approver, now=now
            )
            if changed:
                events.record(session, LabelTrusted(reply_id=reply_id, by=by))
                session.refresh(label)
            return Agreement(
                reply_id=reply_id,
                trust=label.trust or LabelTrust.agreed,
                trusted_by=label.trusted_by or by,
                changed=changed,
            )
    raise refused(session_factory, reply_id=reply_id, by=by, action="agree", why=str(why))


def refused(
    session_factory: SessionFactory, *, reply_id: int | None, by: str, action: str, why: str
) -> TriageRefused:
    """Record a refused click as an event (in its own transaction); return the error to raise."""
    with unit_of_work(session_factory) as session:
        events.record(session, TriageRefusal(reply_id=reply_id, by=by, action=action, why=why))
    return TriageRefused(why)


def snooze_limit(today: date) -> date:
    """The latest day a lead may be snoozed until: a year from `today`."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def _check_snooze(until: date | None, today: date) -> None:
    latest = snooze_limit(today)
    if until is None or not today < until <= latest:
        raise TriageRefused(
            f"pick a day after today and no later than {latest.isoformat()} to snooze until"
        )


def _over_limit(session: Session, by: str, now: datetime, per_hour: int) -> str | None:
    if labels.given_within_hour(session, by, now) < per_hour:
        return None
    return f"you gave {per_hour} labels within the last hour, the most one person may; try later"


def _label_of(reply_id: int) -> Select[ReplyLabel]:
    return select(ReplyLabel).where(ReplyLabel.reply_id == reply_id)


def _label(session: Session, reply_id: int) -> ReplyLabel | None:
    return session.scalars(_label_of(reply_id)).first()


def _already(label: ReplyLabel) -> Triage:
    return Triage(
        reply_id=label.reply_id,
        choice=label.choice,
        decided_by=label.decided_by,
        decided_at=label.decided_at,
        changed=False,
    )


def _carry_out(
    session: Session,
    reply: Reply,
    lead: Lead | None,
    choice: TriageChoice,
    by: str,
    now: datetime,
    zone: ZoneInfo,
    snooze_until: date | None,
) -> int | None:
    """Do what the decision says to the lead; return the escalation it requested, if any."""
    if choice in opt_out_review.CHOICES:
        opt_out_review.carry_out(session, reply, lead, choice, by, now)
        return None
    if choice is TriageChoice.unsubscribe:
        grounds = Grounds(SuppressionSource.team, "Unsubscribe on the reply card", by, reply.id)
        unsubscribe.unsubscribe(session, lead.email if lead else reply.from_address, grounds)
        return None
    if lead is None or lead.status in FINAL:
        return None
    if choice is TriageChoice.interested:
        if lead.status in (*IN_SEQUENCE, LeadStatus.replied):
            _stop(session, lead, LeadStatus.hot, f"marked interested by {by}", now)
        candidate = escalations.Candidate(lead.id, reply.id)
        created = escalations.request_escalations(
            session, [candidate], now, shown_on=escalations.ShownOn.reply_card
        )
        return created[0].approval_id if created else None
    if choice is TriageChoice.not_interested:
        status = lead.status if lead.status is LeadStatus.escalated else LeadStatus.replied
        _stop(session, lead, status, f"closed: not interested, decided by {by}", now)
        return None
    assert snooze_until is not None
    _snooze(session, lead, snooze_until, by, now, zone)
    return None


def _stop(session: Session, lead: Lead, status: LeadStatus, why: str, now: datetime) -> None:
    """Move the lead to `status` and skip its unsent steps: its sequence ends here."""
    lead.status, lead.status_reason, lead.next_step_at = status, why[:500], None
    lead.replied_at = lead.replied_at or now
    session.execute(
        update(OutreachMessage)
        .where(OutreachMessage.lead_id == lead.id, OutreachMessage.status.in_(NOT_YET_SENT))
        .values(status=OutreachStatus.skipped, reason=why[:1000], updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _snooze(
    session: Session, lead: Lead, day: date, by: str, now: datetime, zone: ZoneInfo
) -> None:
    """Resume the lead's sequence on `day`: steps the reply cancelled go out then, and the
    next step is planned from then."""
    start = datetime.combine(day, time(0, 0), zone).astimezone(UTC)
    why = f"snoozed until {day.isoformat()} by {by}"
    stopped = session.scalars(
        select(OutreachMessage).where(
            OutreachMessage.lead_id == lead.id,
            OutreachMessage.status.in_((*NOT_YET_SENT, OutreachStatus.skipped)),
            OutreachMessage.sent_at.is_(None),
        )
    ).all()
    revived = 0
    for row in stopped:
        if row.status is OutreachStatus.skipped and row.reason != "replied":
            continue  # skipped by a safety rule, not by the reply: it stays skipped
        revived += 1
        local = row.scheduled_at.astimezone(zone)
        later = datetime.combine(day, local.timetz()).astimezone(UTC)
        row.status, row.reason, row.updated_at = OutreachStatus.planned, why, now
        row.scheduled_at = max(later, start, row.scheduled_at)
    lead.status = LeadStatus.contacted if lead.last_contacted_at else LeadStatus.scheduled
    lead.status_reason = why
    # With a step back in the outbox, its send plans the next one; else planning resumes then.
    lead.next_step_at = None if revived else start
