"""The outbox rows' rules, shared by dry runs and live sends.

Checks (the lead still wants mail, the domain is not blocked, the address is not suppressed,
the moment is in the recipient's window), rendering with the thread of the first email for
follow-ups, and the quota counters one message takes. How a row moves from status to status is
`cam.outreach.outbox_status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from jinja2 import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.config import CAMCycleConfig, Sender, SendWindow
from cam.core.context import CycleContext
from cam.core.enums import Limit
from cam.core.mailboxes import DEFAULT_KEY, SenderProfile
from cam.core.models import (
    CampaignStep,
    Channel,
    Lead,
    OutreachMessage,
    OutreachStatus,
)
from cam.leads.status import STOPPED
from cam.outreach import sender_mailboxes
from cam.outreach.templates import (
    TemplateRenderError,
    compile_template,
    flowing,
    lead_variables,
    render,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None
    in_reply_to: str | None = None


def refusal(session: Session, config: CAMCycleConfig, lead: Lead) -> str | None:
    """Return why this lead must not get the message at all, or None."""
    if lead.status in STOPPED or lead.replied_at is not None:
        return f"lead is {lead.status.value}"
    domain = lead.domain or safety.domain_of(lead.email)
    block = safety.blocked_by(domain, config.safety_settings.blocked_domains)
    if block is not None:
        return f"blocked domain {block}"
    return safety.suppression_reason(session, lead.email)


def outside_window(
    config: CAMCycleConfig, lead: Lead, moment: datetime, window: SendWindow | None = None
) -> bool:
    """Tell whether `moment` is outside the window (the team's unless a mailbox has its own)."""
    tz = safety.zone(lead.timezone, config.timezone)
    return not safety.in_send_window(moment, tz, window or config.safety_settings.send_window)


def next_in_window(
    config: CAMCycleConfig,
    lead: Lead,
    moment: datetime,
    rng: Random,
    sender: Sender | None = None,
) -> datetime:
    """Return a moment shortly after the recipient's window (the mailbox's) next opens."""
    tz = safety.zone(lead.timezone, config.timezone)
    safety_settings = config.safety_settings
    window = sender.window if sender else safety_settings.send_window
    gap = sender.min_gap_seconds if sender else safety_settings.min_gap_seconds
    start = safety.next_window_start(moment, tz, window)
    jitter = gap + rng.uniform(0, safety_settings.max_extra_gap_seconds)
    return start + timedelta(seconds=int(jitter))


class Renderer:
    """Renders steps, compiling each template once per pass."""

    def __init__(self, senders: Mapping[str, SenderProfile] | None = None) -> None:
        self._compiled: dict[tuple[int, str], Template] = {}
        # Who signs each mailbox's mail, by key: `sender.*` in the templates.
        self._senders = senders or {}

    def _template(self, step: CampaignStep, part: str, source: str) -> Template:
        key = (step.id, part)
        if key not in self._compiled:
            self._compiled[key] = compile_template(source, html=part == "html")
        return self._compiled[key]

    def render(
        self,
        session: Session,
        step: CampaignStep,
        lead: Lead,
        row: OutreachMessage,
        mailbox: str | None = None,
    ) -> Rendered:
        """Render the step for the lead, signed by its mailbox's sender (`mailbox`, else the
        lead's); raise `TemplateRenderError` with the reason."""
        variables = lead_variables(lead)
        profile = self._senders.get(mailbox or lead.mailbox or DEFAULT_KEY)
        variables["sender"] = profile.variables() if profile is not None else {}
        text = flowing(render(self._template(step, "body", step.body_template), variables))
        if not text:
            raise TemplateRenderError("the message body is empty")
        if step.channel is Channel.linkedin:
            return Rendered(subject="", text=text, html=None)
        html = None
        if step.html_template:
            html = render(self._template(step, "html", step.html_template), variables, html=True)
        subject = ""
        if step.subject_template.strip():
            subject = render(self._template(step, "subject", step.subject_template), variables)
        subject = " ".join(subject.split())
        root = thread_root(session, row) if row.step > 1 else None
        if root is not None:
            root_id, root_subject = root
            subject = subject or root_subject
            if not subject.lower().startswith("re:"):
                subject = f"Re: {subject}"
            return Rendered(subject=subject, text=text, html=html, in_reply_to=root_id)
        if not subject:
            raise TemplateRenderError("the email has no subject and no earlier email to follow")
        return Rendered(subject=subject, text=text, html=html)


def thread_root(session: Session, row: OutreachMessage) -> tuple[str | None, str] | None:
    """Return the Message-ID and subject of the lead's first email in this campaign.

    A simulated first email counts too (its Message-ID is None), so a dry run previews the
    follow-up as it would read.
    """
    first = session.execute(
        select(OutreachMessage.message_id, OutreachMessage.subject)
        .where(
            OutreachMessage.lead_id == row.lead_id,
            OutreachMessage.campaign_id == row.campaign_id,
            OutreachMessage.channel == Channel.email,
            OutreachMessage.step < row.step,
            OutreachMessage.status.in_([OutreachStatus.sent, OutreachStatus.simulated]),
            OutreachMessage.subject.is_not(None),
        )
        .order_by(OutreachMessage.step)
        .limit(1)
    ).first()
    if first is None or not first.subject:
        return None
    return first.message_id, first.subject


class Quota:
    """The counters one message takes: its mailbox's (or channel's) per day and per hour, and
    its domain's per day, across mailboxes."""

    def __init__(
        self,
        ctx: CycleContext,
        channel: Channel,
        domain: str,
        moment: datetime,
        sender: Sender | None = None,
    ):
        config = ctx.config
        mode = ctx.mode
        self.day = safety.team_day(moment, config.timezone)
        day = safety.day_window(self.day)
        hour = safety.hour_window(moment, config.timezone)
        daily, hourly = Limit.daily_cap(channel), Limit.hourly_cap(channel)
        if sender is not None:
            self.scopes: list[tuple[str, str, Limit]] = [
                (sender_mailboxes.scope(mode, sender.key), day, daily)
            ]
            if sender.limits.hourly_cap is not None:
                self.scopes.append((sender_mailboxes.hour_scope(mode, sender.key), hour, hourly))
        else:
            limits = config.safety_settings.channels.get(channel)
            self.scopes = [(safety.channel_scope(mode, channel), day, daily)]
            if limits is not None and limits.hourly_cap is not None:
                self.scopes.append((safety.hourly_scope(mode, channel), hour, hourly))
        if channel is Channel.email and domain:
            self.scopes.append((safety.domain_scope(mode, domain), day, Limit.domain_daily_cap))

    def take(self, session: Session, caps: dict[Limit, int]) -> Limit | None:
        """Take every counter or none; return the name of the limit that refused."""
        taken: list[tuple[str, str]] = []
        for scope, window, limit in self.scopes:
            if not safety.reserve(session, scope, window, caps[limit]):
                for done_scope, done_window in taken:
                    safety.release(session, done_scope, done_window)
                return limit
            taken.append((scope, window))
        return None

    def give_back(self, session: Session) -> None:
        for scope, window, _limit in self.scopes:
            safety.release(session, scope, window)
