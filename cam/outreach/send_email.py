"""Live email, one mailbox after another, each through its own connection: steps 1 and 2 of
the send protocol (claim in its own transaction, hand over), and which outcome to record."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.config import Sender
from cam.core.db import unit_of_work
from cam.core.enums import Limit
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus
from cam.core.ports import (
    DeliveryUnknownError,
    EmailConnection,
    EmailSender,
    GatewayError,
    OutgoingEmail,
)
from cam.outreach import send_outcomes, sender_mailboxes
from cam.outreach.outbox import Quota
from cam.outreach.outgoing_email import outgoing_email
from cam.outreach.send_state import PHASE, PassState


def send_emails(state: PassState) -> None:
    """Send each mailbox's due emails; a mailbox whose server fails stops alone."""
    secret = state.config.secret_key.get_secret_value()
    if not secret:
        with unit_of_work(state.ctx.session_factory) as session:
            waiting = state.count_due(session, Channel.email)
        if waiting:
            state.report.error(
                PHASE,
                f"CAM_SECRET_KEY is not set: {waiting} due emails need an unsubscribe link",
            )
        return
    for sender in state.senders.values():
        gateway = state.ctx.gateways.sender(sender.key)
        if gateway is None or not gateway.configured:
            state.not_configured(Channel.email, sender.key)
            continue
        _send_mailbox(state, secret, sender, gateway)
        if state.halted is not None:
            return


def _send_mailbox(state: PassState, secret: str, sender: Sender, gateway: EmailSender) -> None:
    with ExitStack() as stack:
        connection: EmailConnection | None = None
        while True:
            claim = _claim_email(state, secret, sender)
            if claim is None:
                return
            row_id, message, quota = claim
            try:
                if connection is None:
                    connection = stack.enter_context(gateway.connect())
                result = connection.send(message)
            except GatewayError as exc:
                # Refused or unreachable before the message was handed over: give it back.
                send_outcomes.release(state, row_id, quota, f"not sent: {exc}")
                state.report.error(PHASE, f"email gateway {gateway.name}: {exc}", item=message.to)
                return
            except DeliveryUnknownError as exc:
                # The link broke after the message was handed over: a person must check.
                send_outcomes.record_unknown(state, row_id, exc)
                state.report.error(PHASE, f"email send failed: {exc!r}", item=message.to)
                return
            except Exception as exc:
                # A fault inside the gateway is as ambiguous: never send it again blindly.
                send_outcomes.record_unknown(state, row_id, exc)
                state.report.error(PHASE, f"email send failed: {exc!r}", item=message.to)
                return
            send_outcomes.record_result(state, row_id, result, quota)


def _claim_email(
    state: PassState, secret: str, sender: Sender
) -> tuple[int, OutgoingEmail, Quota] | None:
    """Claim the mailbox's next due email in its own transaction, or None when it is done."""
    while True:
        with unit_of_work(state.ctx.session_factory) as session:
            if state.is_halted(session):
                return None
            if sender.key in sender_mailboxes.paused_keys(session):
                state.report.skip(
                    Limit.mailbox_paused, state.count_due(session, Channel.email, sender.key)
                )
                return None
            found = state.next_due(session, Channel.email, sender.key)
            if found is None:
                return None
            row, lead = found
            rendered = state.gate(session, row, lead, state.now)
            if rendered is None:
                continue
            if _too_soon(state, session, sender):
                waiting = state.count_due(session, Channel.email, sender.key)
                state.report.skip(Limit.email_spacing, waiting)
                return None
            quota = Quota(state.ctx, Channel.email, lead.domain, state.now, sender)
            refused = quota.take(session, state.caps(Channel.email, quota.day, sender))
            if refused is Limit.domain_daily_cap:
                state.deferred.add(row.id)
                state.report.skip(refused)
                continue
            if refused is not None:
                state.report.skip(refused, state.count_due(session, Channel.email, sender.key))
                return None
            row.status = OutreachStatus.sending
            row.claimed_by = state.ctx.instance
            row.claimed_at = state.now
            row.attempts += 1
            domain = safety.domain_of(sender.address) or state.config.sender_domain
            row.message_id = f"<{uuid.uuid4().hex}@{domain}>"
            row.subject = rendered.subject
            row.body = rendered.text
            row.reason = None
            state.started_on[sender.key] = sender_mailboxes.mark_started(
                session, sender.key, quota.day
            )
            message = outgoing_email(lead, row, rendered, secret=secret, message_id=row.message_id)
            return row.id, message, quota


def _too_soon(state: PassState, session: Session, sender: Sender) -> bool:
    """Tell whether the mailbox sent less than its minimum gap ago (no bursts)."""
    gap = sender.min_gap_seconds
    if gap <= 0:
        return False
    recent = session.scalar(
        select(func.count(OutreachMessage.id))
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.channel == Channel.email,
            OutreachMessage.status.in_(
                [OutreachStatus.sending, OutreachStatus.sent, OutreachStatus.unknown]
            ),
            OutreachMessage.claimed_at > state.now - timedelta(seconds=gap),
            state.of_mailbox(sender.key),
        )
    )
    return bool(recent)
