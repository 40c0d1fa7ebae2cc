"""Answer when back: an answer written now for a prospect who is away, sent when they return.

An out-of-office reply with a return date lets the rep write the answer at once and have it go
as sales tools "send later": at the first send-window slot of the working day after the return,
in the lead's time zone (the working day the absence moved the sequence to, counted the same
way: `actions.working_day_after` and the send window of `safety`). The answer is stored
`scheduled` with its due time, its submission's key unique as for any answer, and the lead's
sequence stops: a person took the conversation over. It is checked again when it is due
(`cam.replies.due_answers`). It is withdrawn by a person (Cancel on the card) or by CAM the
moment the prospect writes again, since whatever they wrote may change the answer: a person
looks again. Withdrawn rows stay, with who (None: CAM) and why. Each step is announced in the
card's thread by a `scheduled_answer` notification queued in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cam.core import bulk, safety
from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.enums import AnswerEvent
from cam.core.models import Answer, Lead, NotificationTopic, OutreachStatus, Reply
from cam.core.notices import ScheduledAnswerPayload, notice
from cam.outreach import outbox_status
from cam.replies import answering, cards
from cam.replies.actions import WORKDAYS, working_day_after
from cam.replies.answer_mail import AnswerRequest, outbox_row
from cam.replies.answering import AnswerRefused

SEQUENCE_STOPPED = "answer scheduled from Slack: a person took the conversation over"
CANCELLED_ON_CARD = "cancelled on the card"


@dataclass(frozen=True)
class Scheduled:
    """An answer this call scheduled: when it is due, and the zone that time is counted in."""

    answer_id: int
    due_at: datetime
    zone: str


def when_back(
    config: CAMCycleConfig, lead: Lead, return_date: date, mailbox: str, now: datetime
) -> tuple[datetime, str]:
    """The first send-window slot of the working day after `return_date` in the lead's zone
    (the team's when the lead has none), or the next slot once that has passed; and the zone."""
    sender = answering.sender_of(config, mailbox)
    window = sender.window if sender is not None else config.safety_settings.send_window
    tz = safety.zone(lead.timezone, config.timezone)
    back = working_day_after(return_date, window.weekdays or WORKDAYS)
    start = datetime.combine(back, time(0), tzinfo=tz)
    return safety.next_window_start(max(start, now), tz, window), tz.key


def short_day(day: date) -> str:
    """A day as a rep reads it: "Tue 2 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def may_cancel(user: str, *, owner: str, approvers: Collection[str], scheduled_by: str) -> bool:
    """The lead's owner, an approver or whoever scheduled it may cancel a scheduled answer."""
    return bool(user) and (user in (owner, scheduled_by) or user in approvers)


def pending(session: Session, reply_id: int) -> Answer | None:
    """The answer waiting to go to this reply, if one is scheduled."""
    return session.scalars(
        select(Answer)
        .where(Answer.reply_id == reply_id, Answer.status == OutreachStatus.scheduled)
        .order_by(Answer.id)
        .limit(1)
    ).first()


def schedule(
    session_factory: SessionFactory, config: CAMCycleConfig, request: AnswerRequest
) -> Scheduled | None:
    """Check and store the answer as scheduled in one transaction; None if it was before.

    Raise `AnswerRefused` for a reply without a return date, one already answered later, or
    what `answering.refusal` names now (the same rules apply again when it is due).
    """
    now, mailbox = request.now, request.mailbox
    with unit_of_work(session_factory) as session:
        if answering.claimed_before(session, request.request_key):
            return None
        reply, lead = answering.subject(session, request.reply_id)
        if reply.return_date is None:
            raise AnswerRefused("body", "this reply names no return date: answer it with Reply")
        refused = answering.refusal(session, config, lead, mailbox)
        if refused is not None:
            raise refused
        waiting = pending(session, reply.id)
        if waiting is not None and waiting.request_key == request.request_key[:100]:
            return None  # this very submission, stored by another instance since the check
        if waiting is not None:
            raise AnswerRefused(
                "body", "an answer to this reply is scheduled already: cancel it on the card first"
            )
        sender = answering.sender_of(config, mailbox)
        assert sender is not None  # refusal() checked it
        due, zone = when_back(config, lead, reply.return_date, mailbox, now)
        domain = safety.domain_of(sender.address) or config.sender_domain
        row = {
            **outbox_row(request, reply, lead, domain),
            "status": OutreachStatus.scheduled,
            "due_at": due,
            "due_zone": zone,
        }
        inserted = bulk.insert_ignoring(session, Answer, [row], returning=[Answer.id])
        if not inserted:
            return None  # the same submission, stored by another instance a moment ago
        answer_id = int(inserted[0][0])
        lead.next_step_at = None
        outbox_status.stop_sequences(session, [lead.id], SEQUENCE_STOPPED, now=now)
        announce(session, reply.id, answer_id, AnswerEvent.scheduled)
        return Scheduled(answer_id, due, zone)


def cancel(
    session_factory: SessionFactory, *, answer_id: int, by: str, now: datetime
) -> Answer | None:
    """Cancel the answer on a person's word; None when it is no longer scheduled."""
    with unit_of_work(session_factory) as session:
        if not _withdraw(session, answer_id, by=by, reason=CANCELLED_ON_CARD, now=now):
            return None
        answer = session.get_one(Answer, answer_id)
        announce(session, answer.reply_id, answer.id, AnswerEvent.cancelled)
        session.flush()
        session.expunge(answer)
        return answer


def cancel_for_replies(session: Session, stored: Sequence[cards.StoredReply], now: datetime) -> int:
    """Cancel the answers scheduled for the leads who wrote again in `stored`; return how many.

    Runs in the transaction that stores the replies, so no answer goes after a reply that was
    stored: what the prospect wrote may change it, and a person looks again.
    """
    latest = {s.lead_id: s.reply_id for s in stored if s.lead_id is not None}
    if not latest:
        return 0
    waiting = session.scalars(
        select(Answer).where(Answer.status == OutreachStatus.scheduled, Answer.lead_id.in_(latest))
    ).all()
    cancelled = 0
    for answer in waiting:
        assert answer.lead_id is not None  # selected by it
        reason = _wrote_again(session, latest[answer.lead_id], answer, now)
        if _withdraw(session, answer.id, by=None, reason=reason, now=now):
            announce(session, answer.reply_id, answer.id, AnswerEvent.cancelled)
            cancelled += 1
    return cancelled


def announce(session: Session, reply_id: int, answer_id: int, event: AnswerEvent) -> None:
    """Queue the news of the answer for the thread of its reply's card (if it has one)."""
    parent = cards.card_thread(session, reply_id)
    if parent is not None:
        payload = ScheduledAnswerPayload(answer_id=answer_id, event=event)
        session.add(notice(NotificationTopic.scheduled_answer, payload, parent_id=parent))


def _withdraw(
    session: Session, answer_id: int, *, by: str | None, reason: str, now: datetime
) -> bool:
    """Move the answer from scheduled to cancelled; False when it had left `scheduled`."""
    result = session.execute(
        update(Answer)
        .where(Answer.id == answer_id, Answer.status == OutreachStatus.scheduled)
        .values(
            status=OutreachStatus.cancelled,
            cancelled_by=by,
            cancelled_at=now,
            reason=reason[:1000],
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _wrote_again(session: Session, reply_id: int, answer: Answer, now: datetime) -> str:
    """Why CAM cancelled: "Anna Berg wrote again on Tue 2 Dec" (the reply's date, in the
    lead's zone)."""
    reply = session.get(Reply, reply_id)
    lead = session.get(Lead, answer.lead_id) if answer.lead_id is not None else None
    name = (lead.full_name or lead.email) if lead is not None else "the prospect"
    at = reply.received_at if reply is not None else now
    day = at.astimezone(safety.zone(answer.due_zone)).date()
    return f"{name} wrote again on {short_day(day)}"
