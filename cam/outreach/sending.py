"""Phase 3: send what is due, exactly once, within every limit, counted in the database.

The outbox protocol, for crash safety:
1. claim one due `planned` row in its own committed transaction: status `sending`, who and
   when, `attempts + 1`, its Message-ID, and the quota taken by conditional UPDATEs (on
   PostgreSQL the row is picked with `FOR UPDATE SKIP LOCKED`, so instances never share one);
2. hand it to the gateway;
3. commit the outcome: `sent`; a 4xx back to `planned` later with its quota given back; a 5xx
   `failed` with the lead bounced and suppressed; no connection: claim given back, error.
A row still `sending` after the lease belongs to a process that died somewhere between 1 and
3: it becomes `unknown`, for a person to check, and is never sent again blindly.

A dry run marks due messages `simulated` (counted in `dry:` scopes, so within the same caps)
and calls no gateway; it previews the whole team day. Going live plans simulated rows again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.config import ChannelLimitConfig, Sender
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.holds import Limit
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import (
    CampaignStep,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    SuppressionKind,
)
from cam.core.state import get_state
from cam.escalation import tasks
from cam.gateways.base import (
    DeliveryUnknownError,
    EmailConnection,
    EmailSender,
    GatewayError,
    OutgoingEmail,
    SendOutcome,
    SendResult,
    SocialTask,
)
from cam.leads import lifecycle as lead_lifecycle
from cam.outreach import lifecycle, safety, senders
from cam.outreach.outbox import (
    Quota,
    Rendered,
    Renderer,
    next_in_window,
    outside_window,
    refusal,
)
from cam.outreach.outgoing import outgoing_email
from cam.outreach.scheduling import next_step_at
from cam.outreach.templates import TemplateRenderError

log = logging.getLogger(__name__)

PHASE = "send"
# How long a claim may stay `sending` before its process is taken for dead.
CLAIM_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(minutes=15)
# Rows a dry run previews in one pass (planning keeps a day far below this).
DRY_RUN_BATCH = 2000


def send_due_outreach(ctx: CycleContext) -> None:
    """Send (or, in a dry run, simulate) every message that is due, within the limits."""
    sender = SendPass(ctx)
    sender.run()


class SendPass:
    """One pass over the due outbox rows of every enabled channel."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.report = ctx.report
        self.now = ctx.clock()
        self.renderer = Renderer()
        self.steps: dict[int, dict[int, CampaignStep]] = {}
        self.senders = {sender.key: sender for sender in ctx.config.senders()}
        self.started_on: dict[str, date | None] = {}
        self.linkedin_started_on: date | None = None
        self.deferred: set[int] = set()
        # Why the pass stopped early: "paused" or "dry_run" (switched on while it ran).
        self.halted: str | None = None
        self.counts = {"sent": 0, "followups": 0, "simulated": 0, "tasks": 0, "failed": 0}

    # --- the pass --------------------------------------------------------------------------

    def run(self) -> None:
        with unit_of_work(self.ctx.session_factory) as session:
            self.report.unknown_outcomes += lifecycle.expire_stale_claims(
                session, self.now - CLAIM_LEASE
            )
            state = get_state(session)
            self.linkedin_started_on = state.mailbox_started_on
            self.started_on = {key: senders.started_on(session, key) for key in self.senders}
            if self.config.mailboxes:
                senders.assign_unowned(session, self.config, self.now)
            if self.ctx.dry_at_start is None:
                self.ctx.dry_at_start = state.dry_run
            for step in session.scalars(select(CampaignStep)):
                self.steps.setdefault(step.campaign_id, {})[step.position] = step
            if not self._halted(session) and not self.ctx.dry_run:
                lifecycle.replan_simulated(session)
        if self.halted is None:
            if self.ctx.dry_run:
                self._simulate()
            else:
                self._send_live()
        with unit_of_work(self.ctx.session_factory) as session:
            events.record(
                session,
                events.OUTREACH_SENT,
                {
                    "dry_run": self.ctx.dry_run,
                    "paused": self.halted == "paused",
                    "halted": self.halted,
                    **self.counts,
                },
                cycle_id=self.ctx.cycle_id,
            )

    def _halted(self, session: Session) -> bool:
        """Re-read pause and dry run; when either stops the pass, count what waits, once."""
        if self.halted is not None:
            return True
        was_dry = bool(self.ctx.dry_at_start)
        self.halted = lifecycle.halt_reason(session, dry_run=self.ctx.dry_run, was_dry=was_dry)
        if self.halted is None:
            return False
        waiting = self._count_due(session, None)
        if waiting:
            self.report.skip(self.halted, waiting)
        return True

    def _caps(self, channel: Channel, day: date, sender: Sender | None = None) -> dict[Limit, int]:
        safety_settings = self.config.safety_settings
        if sender is not None:
            start = self.started_on.get(sender.key)
            limits = sender.limits
            cap = limits.cap_on_day((day - start).days if start is not None else 0)
        else:
            limits = safety_settings.channels.get(channel) or ChannelLimitConfig(daily_cap=0)
            cap = safety.channel_cap(safety_settings, channel, day, self.linkedin_started_on)
        return {
            Limit.daily_cap(channel): cap,
            Limit.hourly_cap(channel): limits.hourly_cap or 0,
            Limit.domain_daily_cap: safety_settings.per_domain_daily_cap,
        }

    def _sender_of(self, lead: Lead) -> Sender | None:
        """The mailbox a lead's email goes from (the default one for a lead without)."""
        return self.senders.get(lead.mailbox or DEFAULT_KEY)

    def _of_mailbox(self, key: str) -> ColumnElement[bool]:
        """Leads of mailbox `key`; without a mailboxes file, also those never assigned one."""
        if key == DEFAULT_KEY and not self.config.mailboxes:
            return or_(Lead.mailbox.is_(None), Lead.mailbox == key)
        return Lead.mailbox == key

    def _due(self, channel: Channel | None, until: datetime, mailbox: str | None = None) -> Any:
        query = select(OutreachMessage, Lead).join(Lead, Lead.id == OutreachMessage.lead_id)
        query = query.where(
            OutreachMessage.status == OutreachStatus.planned,
            OutreachMessage.scheduled_at <= until,
        )
        if channel is not None:
            query = query.where(OutreachMessage.channel == channel)
        else:
            query = query.where(OutreachMessage.channel.in_(self.config.channels_enabled))
        if mailbox is not None:
            query = query.where(self._of_mailbox(mailbox))
        if self.deferred:
            query = query.where(OutreachMessage.id.not_in(self.deferred))
        return query.order_by(OutreachMessage.scheduled_at, OutreachMessage.id)

    def _count_due(
        self, session: Session, channel: Channel | None, mailbox: str | None = None
    ) -> int:
        due = self._due(channel, self.now, mailbox).subquery()
        return int(session.scalar(select(func.count()).select_from(due)) or 0)

    def _gate(
        self, session: Session, row: OutreachMessage, lead: Lead, moment: datetime
    ) -> Rendered | None:
        """Apply refusals, the window and rendering; None when the row was dealt with."""
        reason = refusal(session, self.config, lead)
        if reason is not None:
            row.status, row.reason = OutreachStatus.skipped, reason
            return None
        sender = self._sender_of(lead) if row.channel is Channel.email else None
        if row.channel is Channel.email and sender is None:
            row.status = OutreachStatus.skipped
            row.reason = f"mailbox {lead.mailbox} is no longer in the mailboxes file"
            return None
        if outside_window(self.config, lead, moment, sender.window if sender else None):
            row.scheduled_at = next_in_window(self.config, lead, moment, self.ctx.rng, sender)
            self.report.skip(Limit.send_window)
            return None
        step = self.steps.get(row.campaign_id, {}).get(row.step)
        if step is None:
            row.status, row.reason = OutreachStatus.skipped, "step no longer in the campaign"
            return None
        try:
            return self.renderer.render(session, step, lead, row)
        except TemplateRenderError as exc:
            row.status, row.reason = OutreachStatus.failed, str(exc)[:1000]
            self.counts["failed"] += 1
            self.report.error(PHASE, str(exc), item=f"{lead.email} step {row.step}")
            return None

    def _advance(self, row: OutreachMessage, lead: Lead, moment: datetime) -> None:
        """Record that the step went out (or would have) and when the next one is due."""
        if lead.status in lead_lifecycle.ENROLLED and lead.replied_at is None:
            steps = self.steps.get(row.campaign_id, {})
            lead.next_step_at = next_step_at(steps, row.step, moment)

    # --- dry run ---------------------------------------------------------------------------

    def _simulate(self) -> None:
        until = safety.end_of_team_day(self.now, self.config.timezone)
        full: set[tuple[Channel, str, str]] = set()
        with unit_of_work(self.ctx.session_factory) as session:
            paused = senders.paused_keys(session)
            rows = session.execute(self._due(None, until).limit(DRY_RUN_BATCH)).all()
            for row, lead in rows:
                moment = max(row.scheduled_at, self.now)
                sender = self._sender_of(lead) if row.channel is Channel.email else None
                if sender is not None and sender.key in paused:
                    self.report.skip(Limit.mailbox_paused)
                    continue
                quota = Quota(self.ctx, row.channel, lead.domain, moment, sender)
                lane = (row.channel, sender.key if sender else "", str(quota.day))
                if lane in full:
                    self.report.skip(Limit.daily_cap(row.channel))
                    continue
                rendered = self._gate(session, row, lead, moment)
                if rendered is None:
                    continue
                refused = quota.take(session, self._caps(row.channel, quota.day, sender))
                if refused is not None:
                    self.report.skip(refused)
                    if refused is Limit.daily_cap(row.channel):
                        full.add(lane)
                    continue
                row.status = OutreachStatus.simulated
                row.reason = "dry run: not sent"
                row.sent_at = moment
                row.subject = rendered.subject or None
                row.body = rendered.text
                self._advance(row, lead, moment)
                self.counts["simulated"] += 1
                self.report.simulated += 1

    # --- live ------------------------------------------------------------------------------

    def _send_live(self) -> None:
        if Channel.email in self.config.channels_enabled:
            self._send_emails()
        if Channel.linkedin in self.config.channels_enabled:
            if self.ctx.gateways.social.configured:
                self._post_tasks()
            else:
                self._not_configured(Channel.linkedin, None)

    def _not_configured(self, channel: Channel, mailbox: str | None) -> None:
        """Name a channel (or mailbox) that has no gateway, and what waits for it."""
        name = channel.value if mailbox in (None, DEFAULT_KEY) else f"{channel.value} {mailbox}"
        if name not in self.report.channels_not_configured:
            self.report.channels_not_configured.append(name)
        with unit_of_work(self.ctx.session_factory) as session:
            waiting = self._count_due(session, channel, mailbox)
        if waiting:
            self.report.skip(Limit.not_configured(channel), waiting)

    def _send_emails(self) -> None:
        """Send each mailbox's due emails through its own connection, one mailbox after another.

        A mailbox whose server fails stops alone: the others go on.
        """
        secret = self.config.secret_key.get_secret_value()
        if not secret:
            with unit_of_work(self.ctx.session_factory) as session:
                waiting = self._count_due(session, Channel.email)
            if waiting:
                self.report.error(
                    PHASE,
                    f"CAM_SECRET_KEY is not set: {waiting} due emails need an unsubscribe link",
                )
            return
        for sender in self.senders.values():
            gateway = self.ctx.gateways.sender(sender.key)
            if gateway is None or not gateway.configured:
                self._not_configured(Channel.email, sender.key)
                continue
            self._send_mailbox(secret, sender, gateway)
            if self.halted is not None:
                return

    def _send_mailbox(self, secret: str, sender: Sender, gateway: EmailSender) -> None:
        with ExitStack() as stack:
            connection: EmailConnection | None = None
            while True:
                claim = self._claim_email(secret, sender)
                if claim is None:
                    return
                row_id, message, quota = claim
                try:
                    if connection is None:
                        connection = stack.enter_context(gateway.connect())
                    result = connection.send(message)
                except GatewayError as exc:
                    # Refused or unreachable before the message was handed over: give it back.
                    self._release(row_id, quota, f"not sent: {exc}")
                    self.report.error(
                        PHASE, f"email gateway {gateway.name}: {exc}", item=message.to
                    )
                    return
                except DeliveryUnknownError as exc:
                    # The link broke after the message was handed over: a person must check.
                    self._finish(row_id, self._unknown, exc)
                    self.report.error(PHASE, f"email send failed: {exc!r}", item=message.to)
                    return
                except Exception as exc:
                    # A fault inside the gateway is as ambiguous: never send it again blindly.
                    self._finish(row_id, self._unknown, exc)
                    self.report.error(PHASE, f"email send failed: {exc!r}", item=message.to)
                    return
                self._finish(row_id, self._outcome, result, quota)

    def _claim_email(self, secret: str, sender: Sender) -> tuple[int, OutgoingEmail, Quota] | None:
        """Claim the mailbox's next due email in its own transaction, or None when it is done."""
        while True:
            with unit_of_work(self.ctx.session_factory) as session:
                if self._halted(session):
                    return None
                if sender.key in senders.paused_keys(session):
                    self.report.skip(
                        "mailbox_paused", self._count_due(session, Channel.email, sender.key)
                    )
                    return None
                found = session.execute(
                    self._due(Channel.email, self.now, sender.key)
                    .limit(1)
                    .with_for_update(skip_locked=True, of=OutreachMessage)
                ).first()
                if found is None:
                    return None
                row, lead = found
                rendered = self._gate(session, row, lead, self.now)
                if rendered is None:
                    continue
                if self._too_soon(session, sender):
                    waiting = self._count_due(session, Channel.email, sender.key)
                    self.report.skip(Limit.email_spacing, waiting)
                    return None
                quota = Quota(self.ctx, Channel.email, lead.domain, self.now, sender)
                refused = quota.take(session, self._caps(Channel.email, quota.day, sender))
                if refused == "domain_daily_cap":
                    self.deferred.add(row.id)
                    self.report.skip(refused)
                    continue
                if refused is not None:
                    self.report.skip(refused, self._count_due(session, Channel.email, sender.key))
                    return None
                row.status = OutreachStatus.sending
                row.claimed_by = self.ctx.instance
                row.claimed_at = self.now
                row.attempts += 1
                domain = safety.domain_of(sender.address) or self.config.sender_domain
                row.message_id = f"<{uuid.uuid4().hex}@{domain}>"
                row.subject = rendered.subject
                row.body = rendered.text
                row.reason = None
                self.started_on[sender.key] = senders.mark_started(session, sender.key, quota.day)
                message = outgoing_email(
                    lead, row, rendered, secret=secret, message_id=row.message_id
                )
                return row.id, message, quota

    def _too_soon(self, session: Session, sender: Sender) -> bool:
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
                OutreachMessage.claimed_at > self.now - timedelta(seconds=gap),
                self._of_mailbox(sender.key),
            )
        )
        return bool(recent)

    def _finish(self, row_id: int, apply: Callable[..., None], *args: Any) -> None:
        """Record what became of a claimed row, if it is still ours to record."""
        with unit_of_work(self.ctx.session_factory) as session:
            row = session.get(OutreachMessage, row_id, with_for_update=True)
            if row is None or row.status is not OutreachStatus.sending:
                return
            lead = session.get(Lead, row.lead_id)
            if lead is not None:
                apply(session, row, lead, *args)

    def _outcome(
        self,
        session: Session,
        row: OutreachMessage,
        lead: Lead,
        result: SendResult,
        quota: Quota,
    ) -> None:
        if result.outcome is SendOutcome.accepted:
            row.status, row.sent_at = OutreachStatus.sent, self.now
            self._contacted(row, lead)
            return
        if result.outcome is SendOutcome.retry_later:
            quota.give_back(session)
            self.report.skip(Limit.email_retry_later)
            if row.attempts >= MAX_ATTEMPTS:
                row.status = OutreachStatus.failed
                row.reason = f"gave up after {row.attempts} attempts: {result.detail}"[:1000]
                self.counts["failed"] += 1
                return
            row.status = OutreachStatus.planned
            row.scheduled_at = self.now + RETRY_BACKOFF * 2 ** (row.attempts - 1)
            row.reason = f"temporary failure: {result.detail}"[:1000]
            row.claimed_by = row.claimed_at = row.message_id = None
            return
        row.status, row.reason = OutreachStatus.failed, f"rejected: {result.detail}"[:1000]
        self.counts["failed"] += 1
        if lead_lifecycle.may_move(lead.status, LeadStatus.bounced):
            lead.status, lead.status_reason = LeadStatus.bounced, row.reason
        lead.next_step_at = None
        safety.suppress(session, SuppressionKind.email, lead.email, f"hard bounce: {result.detail}")
        lifecycle.stop_sequences(session, [lead.id], "lead bounced", now=self.now)

    def _unknown(self, session: Session, row: OutreachMessage, lead: Lead, exc: Exception) -> None:
        row.status = OutreachStatus.unknown
        row.reason = f"outcome unknown ({type(exc).__name__}): check before sending again"
        self.report.unknown_outcomes += 1

    def _release(self, row_id: int, quota: Quota, reason: str) -> None:
        self._finish(row_id, self._undo_claim, quota, reason)

    def _undo_claim(
        self, session: Session, row: OutreachMessage, lead: Lead, quota: Quota, reason: str
    ) -> None:
        quota.give_back(session)
        row.status, row.reason = OutreachStatus.planned, reason[:1000]
        row.claimed_by = row.claimed_at = row.message_id = None

    def _contacted(self, row: OutreachMessage, lead: Lead) -> None:
        if lead_lifecycle.may_move(lead.status, LeadStatus.contacted):
            lead.status = LeadStatus.contacted
        lead.last_contacted_at = self.now
        self._delivered(row, lead)

    def _delivered(self, row: OutreachMessage, lead: Lead) -> None:
        """Count a step handed over for real and start the wait for the next one."""
        self._advance(row, lead, self.now)
        self.counts["sent"] += 1
        self.report.outreach_sent += 1
        if row.step > 1:
            self.counts["followups"] += 1
            self.report.followups_sent += 1

    def _post_tasks(self) -> None:
        """Hand each due LinkedIn step to a person, in the transaction that marks it sent."""
        while True:
            try:
                if not self._post_one_task():
                    return
            except GatewayError as exc:
                self.report.error(PHASE, f"LinkedIn tasks: {exc}")
                return

    def _post_one_task(self) -> bool:
        with unit_of_work(self.ctx.session_factory) as session:
            if self._halted(session):
                return False
            found = session.execute(
                self._due(Channel.linkedin, self.now)
                .limit(1)
                .with_for_update(skip_locked=True, of=OutreachMessage)
            ).first()
            if found is None:
                return False
            row, lead = found
            rendered = self._gate(session, row, lead, self.now)
            if rendered is None:
                return True
            quota = Quota(self.ctx, Channel.linkedin, "", self.now)
            refused = quota.take(session, self._caps(Channel.linkedin, quota.day))
            if refused is not None:
                self.report.skip(refused, self._count_due(session, Channel.linkedin))
                return False
            tasks.open_task(
                session,
                self.ctx.gateways.social,
                SocialTask(
                    outreach_id=row.id,
                    lead_id=lead.id,
                    lead_name=lead.full_name,
                    company=lead.company,
                    title=lead.title,
                    profile_url=lead.linkedin_url,
                    message=rendered.text,
                ),
            )
            row.status, row.body = OutreachStatus.sent, rendered.text
            row.claimed_by, row.claimed_at, row.sent_at = self.ctx.instance, self.now, self.now
            row.attempts += 1
            # The lead counts as contacted when the person marks the task done.
            self._delivered(row, lead)
            self.counts["tasks"] += 1
            self.report.tasks_created += 1
            return True
