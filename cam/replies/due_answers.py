"""Send the answers scheduled for when a prospect is back, once their time has come.

The protocol of an answer sent at once (`cam.replies.answering`), started by the clock: each
due row is claimed by a conditional UPDATE (`scheduled` -> `sending`, who and when) committed
before the SMTP conversation, so two instances, or a second pass, find it taken; a process that
dies after the claim leaves it `sending`, later `unknown`, never sent again. In the claim's
transaction everything an answer must pass is checked again as it stands now (suppressed
since, blocked domain, CAM or the mailbox paused, the unsubscribe key, the mailbox's hour): a
refusal ends the answer `skipped` with the reason, for the rep to decide again; a full hour
undoes the claim, so it goes after the hour; dry run keeps it `simulated`. Otherwise it is
delivered exactly as an answer sent at once. It goes only while the lead's send window is open:
an answer whose slot a stopped process missed waits for the next one rather than land at night.
Each outcome is announced in the card's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.enums import AnswerEvent
from cam.core.models import Answer, OutreachStatus
from cam.core.ports import EmailSender
from cam.replies import answering
from cam.replies.answer_later import announce
from cam.replies.answer_mail import outgoing, thread_of


def send_due(
    session_factory: SessionFactory,
    *,
    config: CAMCycleConfig,
    gateway_of: Callable[[str], EmailSender | None],
    instance: str,
    now: datetime,
) -> list[Answer]:
    """Send (or keep in dry run, or refuse) each due answer this call claims; return them as
    they ended. `gateway_of(mailbox)` is the way out of each mailbox."""
    settled = []
    for answer_id, mailbox in _due(session_factory, config, now):
        try:
            claimed = _claim(session_factory, config, answer_id, instance, now)
        except answering.HourFull:
            continue  # the claim rolled back with the hour: the answer goes after the hour
        if isinstance(claimed, answering.Claimed):
            answer = answering.deliver(
                session_factory,
                config=config,
                gateway=gateway_of(mailbox),
                claimed=claimed,
                now=now,
            )
            with unit_of_work(session_factory) as session:
                announce(session, answer.reply_id, answer.id, AnswerEvent.due)
            settled.append(answer)
        elif claimed is not None:
            settled.append(claimed)
    return settled


def _due(
    session_factory: SessionFactory, config: CAMCycleConfig, now: datetime
) -> list[tuple[int, str]]:
    """The scheduled answers due by `now` whose lead's send window is open, earliest first."""
    with unit_of_work(session_factory) as session:
        rows = session.execute(
            select(Answer.id, Answer.mailbox, Answer.due_zone)
            .where(Answer.status == OutreachStatus.scheduled, Answer.due_at <= now)
            .order_by(Answer.due_at, Answer.id)
        ).all()
    due = []
    for answer_id, mailbox, zone in rows:
        sender = answering.sender_of(config, mailbox)
        tz = safety.zone(zone, config.timezone)
        # A mailbox the team no longer has is refused in the claim, whatever the hour.
        if sender is None or safety.in_send_window(now, tz, sender.window):
            due.append((answer_id, mailbox))
    return due


def _claim(
    session_factory: SessionFactory,
    config: CAMCycleConfig,
    answer_id: int,
    instance: str,
    now: datetime,
) -> answering.Claimed | Answer | None:
    """Claim one due answer and check it: the email to hand over, the answer as it ended
    (refused, or kept in dry run), or None when another claim took it first.

    Raise `answering.HourFull` (the transaction, and so the claim, rolls back) when the
    mailbox has sent its hour."""
    with unit_of_work(session_factory) as session:
        won = session.execute(
            update(Answer)
            .where(
                Answer.id == answer_id,
                Answer.status == OutreachStatus.scheduled,
                Answer.due_at <= now,
            )
            .values(status=OutreachStatus.sending, claimed_by=instance[:100], claimed_at=now)
            .returning(Answer.id)
            .execution_options(synchronize_session=False)
        ).first()
        if won is None:
            return None
        answer = session.get_one(Answer, answer_id)
        try:
            reply, lead = answering.subject(session, answer.reply_id)
            go = answering.checked(session, config, lead, answer.mailbox, now)
        except answering.HourFull:
            raise
        except answering.AnswerRefused as refused:
            answer.status, answer.reason = OutreachStatus.skipped, refused.reason[:1000]
            return _settled(session, answer)
        if go.dry_run:
            answer.status, answer.sent_at = OutreachStatus.simulated, now
            answering.answered(session, reply, lead, now)
            return _settled(session, answer)
        email = outgoing(thread_of(reply, lead), answer.body, answer.message_id, go.secret, lead)
        return answering.Claimed(answer.id, email)


def _settled(session: Session, answer: Answer) -> Answer:
    """Announce the answer's end in its thread; hand back the row as it stands."""
    announce(session, answer.reply_id, answer.id, AnswerEvent.due)
    session.flush()
    session.expunge(answer)
    return answer
