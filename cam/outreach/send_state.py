"""What the parts of one send pass share: the rows due, the caps, the checks every row passes,
and what the pass counted.

The email sender, the LinkedIn task poster and the dry run each take this state explicitly,
so the pass's counts, its deferred rows and its halt reason live in one object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.config import ChannelLimitConfig, Sender
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.enums import Limit
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import CampaignStep, Channel, Lead, OutreachMessage, OutreachStatus
from cam.leads import status as lead_status
from cam.outreach import outbox_status
from cam.outreach.outbox import Rendered, Renderer, next_in_window, outside_window, refusal
from cam.outreach.scheduling import next_step_at
from cam.outreach.templates import TemplateRenderError

PHASE = "send"


@dataclass
class SendCounts:
    """What one pass did, as its `cam.outreach_sent` event records it."""

    sent: int = 0
    followups: int = 0
    simulated: int = 0
    tasks: int = 0
    failed: int = 0


class PassState:
    """The shared state of one send pass over the due outbox rows of every enabled channel."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.report = ctx.report
        self.now = ctx.clock()
        self.renderer = Renderer(ctx.config.sender_profiles())
        self.steps: dict[int, dict[int, CampaignStep]] = {}
        self.senders = {sender.key: sender for sender in ctx.config.senders()}
        self.started_on: dict[str, date | None] = {}
        self.linkedin_started_on: date | None = None
        self.deferred: set[int] = set()
        # Why the pass stopped early: "paused" or "dry_run" (switched on while it ran).
        self.halted: Limit | None = None
        self.counts = SendCounts()

    def is_halted(self, session: Session) -> bool:
        """Re-read pause and dry run; when either stops the pass, count what waits, once."""
        if self.halted is not None:
            return True
        mode = self.ctx.mode
        began = self.ctx.mode_at_start or mode
        self.halted = outbox_status.halt_reason(session, mode=mode, began=began)
        if self.halted is None:
            return False
        waiting = self.count_due(session, None)
        if waiting:
            self.report.skip(self.halted, waiting)
        return True

    def caps(self, channel: Channel, day: date, sender: Sender | None = None) -> dict[Limit, int]:
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

    def sender_of(self, lead: Lead) -> Sender | None:
        """The mailbox a lead's email goes from (the default one for a lead without)."""
        return self.senders.get(lead.mailbox or DEFAULT_KEY)

    def of_mailbox(self, key: str) -> ColumnElement[bool]:
        """Leads of mailbox `key`; without a mailboxes file, also those never assigned one."""
        if key == DEFAULT_KEY and not self.config.mailboxes:
            return or_(Lead.mailbox.is_(None), Lead.mailbox == key)
        return Lead.mailbox == key

    def due(self, channel: Channel | None, until: datetime, mailbox: str | None = None) -> Any:
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
            query = query.where(self.of_mailbox(mailbox))
        if self.deferred:
            query = query.where(OutreachMessage.id.not_in(self.deferred))
        return query.order_by(OutreachMessage.scheduled_at, OutreachMessage.id)

    def next_due(
        self, session: Session, channel: Channel, mailbox: str | None = None
    ) -> tuple[OutreachMessage, Lead] | None:
        """Lock the next due row (another instance skips it, never waits) with its lead."""
        found = session.execute(
            self.due(channel, self.now, mailbox)
            .limit(1)
            .with_for_update(skip_locked=True, of=OutreachMessage)
        ).first()
        return None if found is None else (found[0], found[1])

    def count_due(
        self, session: Session, channel: Channel | None, mailbox: str | None = None
    ) -> int:
        due = self.due(channel, self.now, mailbox).subquery()
        return int(session.scalar(select(func.count()).select_from(due)) or 0)

    def not_configured(self, channel: Channel, mailbox: str | None) -> None:
        """Name a channel (or mailbox) that has no gateway, and what waits for it."""
        name = channel.value if mailbox in (None, DEFAULT_KEY) else f"{channel.value} {mailbox}"
        if name not in self.report.channels_not_configured:
            self.report.channels_not_configured.append(name)
        with unit_of_work(self.ctx.session_factory) as session:
            waiting = self.count_due(session, channel, mailbox)
        if waiting:
            self.report.skip(Limit.not_configured(channel), waiting)

    def gate(
        self, session: Session, row: OutreachMessage, lead: Lead, moment: datetime
    ) -> Rendered | None:
        """Apply refusals, the window and rendering; None when the row was dealt with."""
        reason = refusal(session, self.config, lead)
        if reason is not None:
            row.status, row.reason = OutreachStatus.skipped, reason
            return None
        sender = self.sender_of(lead) if row.channel is Channel.email else None
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
            self.counts.failed += 1
            self.report.error(PHASE, str(exc), item=f"{lead.email} step {row.step}")
            return None

    def advance(self, row: OutreachMessage, lead: Lead, moment: datetime) -> None:
        """Record that the step went out (or would have) and when the next one is due."""
        if lead.status in lead_status.ENROLLED and lead.replied_at is None:
            steps = self.steps.get(row.campaign_id, {})
            lead.next_step_at = next_step_at(steps, row.step, moment)
