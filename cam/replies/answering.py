"""Answer a reply from Slack: from a mailbox of the team, in the prospect's thread, once.

The send protocol of the send pass, for one message a person wrote: the `Answer` row is claimed
and committed (`sending`, its submission's key unique) before the SMTP conversation, so a double
submit or a second instance finds it and sends nothing; what the server answered is recorded
in a transaction of its own; a link lost after the message was handed over leaves it `unknown`,
never sent again. An answer counts against its mailbox's hourly cap, not the daily cap of first
messages. It carries the postal footer and the unsubscribe link as every email does, and no
tracking. A sent answer stops the lead's sequence: a human conversation has begun.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cam.core import bulk, safety
from cam.core.config import CAMCycleConfig, Sender
from cam.core.db import SessionFactory, unit_of_work
from cam.core.enums import SendMode
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Answer, Lead, OutreachStatus, Reply
from cam.core.ports import (
    DeliveryUnknownError,
    EmailSender,
    GatewayError,
    OutgoingEmail,
    SendOutcome,
)
from cam.core.state import get_state
from cam.outreach import outbox_status, sender_mailboxes
from cam.replies.answer_mail import AnswerRequest, outbox_row, outgoing, thread_of

SEQUENCE_STOPPED = "answered from Slack: a person took the conversation over"


class AnswerRefused(Exception):
    """This answer must not go out; `field` is the part of the form the reason belongs to."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Claimed:
    """An answer claimed by this call (`email` to hand over; None in a dry run)."""

    answer_id: int
    email: OutgoingEmail | None


def may_answer(
    user: str,
    *,
    owner: str,
    approvers: Collection[str],
    responders: Collection[str],
) -> bool:
    """The lead's owner, an approver or one of `CAM_RESPONDERS` may answer."""
    return bool(user) and (user == owner or user in approvers or user in responders)


def refusal(
    session: Session, config: CAMCycleConfig, lead: Lead, mailbox: str
) -> AnswerRefused | None:
    """Why an answer to this lead from `mailbox` must not go out now, or None."""
    sender = sender_of(config, mailbox)
    if sender is None:
        return AnswerRefused("mailbox", f"no mailbox is called {mailbox!r}")
    suppressed = safety.suppression_reason(session, lead.email)
    if suppressed is not None:
        return AnswerRefused("body", f"not sent: {lead.email} is {suppressed}")
    blocked = safety.blocked_by(
        lead.domain or safety.domain_of(lead.email), config.safety_settings.blocked_domains
    )
    if blocked is not None:
        return AnswerRefused("body", f"not sent: the domain {blocked} is blocked")
    if get_state(session).paused:
        return AnswerRefused("mailbox", "CAM is paused: nothing is sent until `/cam resume`")
    if mailbox in sender_mailboxes.paused_keys(session):
        return AnswerRefused(
            "mailbox", f"mailbox {mailbox} is paused: `/cam resume {mailbox}` first"
        )
    return None


def claim(
    session_factory: SessionFactory, config: CAMCycleConfig, request: AnswerRequest
) -> Claimed | None:
    """Check and claim the answer in one committed transaction; None if it was claimed before.

    Raise `AnswerRefused` for a suppressed address, a paused mailbox or a full hourly cap. In
    dry run the answer is stored as simulated and nothing is handed over.
    """
    try:
        return _claim(session_factory, config, request)
    except _ClaimedElsewhere:
        return None  # its transaction rolled back: the hour it took is given back


class _ClaimedElsewhere(Exception):
    """Another instance inserted the same submission's row first."""


def _claim(
    session_factory: SessionFactory, config: CAMCycleConfig, request: AnswerRequest
) -> Claimed | None:
    now, mailbox = request.now, request.mailbox
    with unit_of_work(session_factory) as session:
        if claimed_before(session, request.request_key):
            return None
        reply, lead = subject(session, request.reply_id)
        go = checked(session, config, lead, mailbox, now)
        domain = safety.domain_of(go.sender.address) or config.sender_domain
        columns = outbox_row(request, reply, lead, domain)
        row = {
            **columns,
            "status": OutreachStatus.simulated if go.dry_run else OutreachStatus.sending,
            "claimed_at": now,
            "sent_at": now if go.dry_run else None,
        }
        inserted = bulk.insert_ignoring(session, Answer, [row], returning=[Answer.id])
        if not inserted:
            raise _ClaimedElsewhere
        answer_id = int(inserted[0][0])
        if go.dry_run:
            answered(session, reply, lead, now)
            return Claimed(answer_id, None)
        message_id = columns["message_id"]
        email = outgoing(thread_of(reply, lead), request.body, message_id, go.secret, lead)
        return Claimed(answer_id, email)


@dataclass(frozen=True)
class Go:
    """An answer cleared to go now: its mailbox, whether in dry run, the unsubscribe key."""

    sender: Sender
    dry_run: bool
    secret: str


class HourFull(AnswerRefused):
    """The mailbox has sent its hourly cap: the answer may go after the hour."""


def checked(
    session: Session, config: CAMCycleConfig, lead: Lead, mailbox: str, now: datetime
) -> Go:
    """Everything an answer must pass the moment it goes, its hour taken in the mailbox's cap.

    Raise `AnswerRefused` for what `refusal()` names or a missing unsubscribe key, `HourFull`
    for a full hourly cap; the caller's transaction gives the hour back if it rolls back.
    """
    refused = refusal(session, config, lead, mailbox)
    if refused is not None:
        raise refused
    sender = sender_of(config, mailbox)
    assert sender is not None  # refusal() checked it
    dry_run = get_state(session).dry_run
    secret = config.secret_key.get_secret_value()
    if not secret and not dry_run:
        raise AnswerRefused("body", "CAM_SECRET_KEY is not set: no unsubscribe link")
    if not _take_hour(session, config, sender, SendMode.of(dry_run), now):
        raise HourFull(
            "mailbox",
            f"mailbox {mailbox} has sent its {sender.limits.hourly_cap} emails this hour: "
            "try again after the hour",
        )
    return Go(sender, dry_run, secret)


def subject(session: Session, reply_id: int) -> tuple[Reply, Lead]:
    """The reply answered and its lead; `AnswerRefused` when it has none."""
    reply = session.get(Reply, reply_id)
    lead = session.get(Lead, reply.lead_id) if reply and reply.lead_id else None
    if reply is None or lead is None:
        raise AnswerRefused("body", "this reply has no lead to answer")
    return reply, lead


def deliver(
    session_factory: SessionFactory,
    *,
    config: CAMCycleConfig,
    gateway: EmailSender | None,
    claimed: Claimed,
    now: datetime,
) -> Answer:
    """Hand the claimed answer to its mailbox's server and record what became of it."""
    email = claimed.email
    if email is None:
        return _finish(session_factory, config, claimed.answer_id, now, None, None)
    if gateway is None or not gateway.configured:
        return _finish(
            session_factory, config, claimed.answer_id, now, OutreachStatus.failed, "no SMTP"
        )
    try:
        with gateway.connect() as connection:
            result = connection.send(email)
    except GatewayError as exc:
        return _finish(
            session_factory, config, claimed.answer_id, now, OutreachStatus.failed, f"{exc}"
        )
    except (DeliveryUnknownError, Exception) as exc:  # handed over, perhaps: never again
        reason = f"outcome unknown ({type(exc).__name__}): check the mailbox's Sent folder"
        return _finish(
            session_factory, config, claimed.answer_id, now, OutreachStatus.unknown, reason
        )
    if result.outcome is SendOutcome.accepted:
        return _finish(session_factory, config, claimed.answer_id, now, OutreachStatus.sent, None)
    verdict = "try later" if result.outcome is SendOutcome.retry_later else "rejected"
    reason = f"the server said {verdict}: {result.detail}"
    return _finish(session_factory, config, claimed.answer_id, now, OutreachStatus.failed, reason)


def _finish(
    session_factory: SessionFactory,
    config: CAMCycleConfig,
    answer_id: int,
    now: datetime,
    status: OutreachStatus | None,
    reason: str | None,
) -> Answer:
    """Record the outcome while the row is still `sending`; return the row as it stands."""
    with unit_of_work(session_factory) as session:
        answer = session.get(Answer, answer_id, with_for_update=True)
        assert answer is not None
        if status is not None and answer.status is OutreachStatus.sending:
            answer.status, answer.reason = status, (reason or None) and reason[:1000]
            if status is OutreachStatus.failed:
                sender = sender_of(config, answer.mailbox)
                if sender is not None:
                    _give_hour_back(session, config, sender, answer.claimed_at or answer.created_at)
            else:
                reply = session.get(Reply, answer.reply_id)
                lead = session.get(Lead, answer.lead_id) if answer.lead_id else None
                if status is OutreachStatus.sent:
                    answer.sent_at = now
                if reply is not None and lead is not None:
                    answered(session, reply, lead, now)
        session.flush()
        session.expunge(answer)
        return answer


def expire_stale(session: Session, claimed_before: datetime) -> int:
    """Flag answers left `sending` by a process that died as `unknown`: they may have gone out,
    so a person checks the Sent folder; they are never sent again."""
    result = session.execute(
        update(Answer)
        .where(
            Answer.status == OutreachStatus.sending,
            func.coalesce(Answer.claimed_at, Answer.created_at) < claimed_before,
        )
        .values(
            status=OutreachStatus.unknown,
            reason="the sender stopped before recording the outcome: check the Sent folder",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def answered(session: Session, reply: Reply, lead: Lead, now: datetime) -> None:
    """The first answer's time on the reply, and the lead's sequence stopped."""
    session.execute(
        update(Reply)
        .where(Reply.id == reply.id, Reply.answered_at.is_(None))
        .values(answered_at=now)
        .execution_options(synchronize_session=False)
    )
    lead.next_step_at = None
    outbox_status.stop_sequences(session, [lead.id], SEQUENCE_STOPPED, now=now)


def claimed_before(session: Session, request_key: str) -> bool:
    """Whether the submission with this key was claimed (or scheduled) before."""
    found = session.scalar(select(Answer.id).where(Answer.request_key == request_key[:100]))
    return found is not None


def sender_of(config: CAMCycleConfig, key: str) -> Sender | None:
    """The team's mailbox called `key`, or None when it has none by that name."""
    return next((s for s in config.senders() if s.key == (key or DEFAULT_KEY)), None)


def _take_hour(
    session: Session, config: CAMCycleConfig, sender: Sender, mode: SendMode, now: datetime
) -> bool:
    """Count the answer in its mailbox's hour (when the mailbox has an hourly cap)."""
    cap = sender.limits.hourly_cap
    if cap is None:
        return True
    window = safety.hour_window(now, config.timezone)
    return safety.reserve(session, sender_mailboxes.hour_scope(mode, sender.key), window, cap)


def _give_hour_back(
    session: Session, config: CAMCycleConfig, sender: Sender, claimed_at: datetime
) -> None:
    if sender.limits.hourly_cap is None:
        return
    window = safety.hour_window(claimed_at, config.timezone)
    # Only a live answer can fail: a dry run's is simulated.
    safety.release(session, sender_mailboxes.hour_scope(SendMode.live, sender.key), window)
