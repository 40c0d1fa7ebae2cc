"""The next message CAM would send, to one lead or to the next in line, as it would go out.

Built by the send pass's own parts: the outbox row's step rendered by `Renderer` (the thread and
"Re:" of a follow-up), made into the gateway's email by `outgoing_email`, then into the message
a mail server receives by `Composer` (From, subject, the footer with the postal address and the
opt-out). The same checks that would hold it back are named: the lead stopped or suppressed,
the recipient's send window, a pause, a dry run. Nothing is written: no claim, no quota.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.config import CAMCycleConfig, Sender
from cam.core.mailboxes import DEFAULT_KEY, MailboxError, mailbox_settings
from cam.core.models import CampaignStep, Channel, Lead, OutreachMessage, OutreachStatus
from cam.core.settings import Settings
from cam.gateways.mail import Composer, MailError
from cam.outreach import sender_mailboxes
from cam.outreach.outbox import Rendered, Renderer, outside_window, refusal
from cam.outreach.outgoing_email import outgoing_email
from cam.outreach.templates import TemplateRenderError


class PreviewUnavailable(Exception):
    """There is nothing to show: no such lead, nothing planned, or it could not go out at all."""


class MessagePreview(BaseModel):
    """One message as its recipient would get it, and when and from where it would leave."""

    lead_email: str
    lead_name: str
    campaign: str
    step: int
    channel: Channel
    # The mailbox it leaves from (an email's From address; for LinkedIn, the person's task).
    mailbox: str
    sender: str
    subject: str
    # The text as sent, footer included; `has_html` when an HTML alternative goes with it.
    text: str
    has_html: bool
    planned_at: datetime
    # The earliest the send pass would take it: now if due, else as planned, within the window.
    goes_out_at: datetime
    # What would stop or change it today, in words; empty when nothing would.
    held: list[str]


def next_message(
    session: Session,
    *,
    settings: Settings,
    config: CAMCycleConfig,
    paused: bool,
    now: datetime,
    email: str | None = None,
) -> MessagePreview:
    """Preview the next planned message of the lead with `email` (or of any lead)."""
    row, lead = _next_row(session, config, email)
    step = session.scalar(
        select(CampaignStep).where(
            CampaignStep.campaign_id == row.campaign_id, CampaignStep.position == row.step
        )
    )
    if step is None:
        raise PreviewUnavailable(f"step {row.step} of its campaign is gone: it will be skipped")
    sender = _sender(session, config, lead, now) if row.channel is Channel.email else None
    try:
        rendered = Renderer(config.sender_profiles()).render(
            session, step, lead, row, sender.key if sender is not None else None
        )
    except TemplateRenderError as exc:
        raise PreviewUnavailable(
            f"the message cannot be rendered, so it would fail: {exc}"
        ) from exc
    goes_out = max(row.scheduled_at, now)
    held = _held(session, config, lead, paused=paused)
    if sender is not None and sender.key in sender_mailboxes.paused_keys(session):
        held.append(f"its mailbox {sender.key} is paused: `/cam resume {sender.key}`")
    window = sender.window if sender is not None else config.safety_settings.send_window
    if outside_window(config, lead, goes_out, window):
        tz = safety.zone(lead.timezone, config.timezone)
        goes_out = safety.next_window_start(goes_out, tz, window)
    preview = MessagePreview(
        lead_email=lead.email,
        lead_name=lead.full_name or lead.email,
        campaign=step.campaign.name,
        step=row.step,
        channel=row.channel,
        mailbox="LinkedIn task",
        sender="a person in the team, from the LinkedIn task",
        subject="",
        text=rendered.text,
        has_html=False,
        planned_at=row.scheduled_at,
        goes_out_at=goes_out,
        held=held,
    )
    if sender is None:
        return preview
    return _as_email(preview, settings, config, sender, lead, row, rendered)


def _sender(session: Session, config: CAMCycleConfig, lead: Lead, now: datetime) -> Sender:
    """The mailbox the lead's emails leave from (the one the send pass would give it)."""
    key = lead.mailbox or sender_mailboxes.mailbox_for(session, config, lead, now) or DEFAULT_KEY
    for sender in config.senders():
        if sender.key == key:
            return sender
    raise PreviewUnavailable(f"its mailbox {key} is no longer in the mailboxes file")


def _next_row(
    session: Session, config: CAMCycleConfig, email: str | None
) -> tuple[OutreachMessage, Lead]:
    """The planned row the send pass would take first (of the lead with `email`, if given)."""
    query = (
        select(OutreachMessage, Lead)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.status == OutreachStatus.planned,
            OutreachMessage.channel.in_(config.channels_enabled),
        )
    )
    lead = None
    if email is not None:
        lead = session.scalar(select(Lead).where(Lead.email == email.strip().lower()))
        if lead is None:
            raise PreviewUnavailable(f"no lead has the address {email}")
        query = query.where(OutreachMessage.lead_id == lead.id)
    found = session.execute(
        query.order_by(OutreachMessage.scheduled_at, OutreachMessage.id).limit(1)
    ).first()
    if found is not None:
        row, lead = found
        return row, lead
    if lead is not None:
        raise PreviewUnavailable(
            f"nothing is planned for {lead.email}: the lead is {lead.status.value}"
        )
    raise PreviewUnavailable("nothing is planned for any lead; the next cycle plans what is due")


def _held(session: Session, config: CAMCycleConfig, lead: Lead, *, paused: bool) -> list[str]:
    held = []
    reason = refusal(session, config, lead)
    if reason is not None:
        held.append(f"it will be skipped: {reason}")
    if paused:
        held.append("CAM is paused: nothing goes out until it is resumed")
    if config.dry_run:
        held.append("dry run: it will be simulated, not sent")
    return held


def _as_email(
    preview: MessagePreview,
    settings: Settings,
    config: CAMCycleConfig,
    sender: Sender,
    lead: Lead,
    row: OutreachMessage,
    rendered: Rendered,
) -> MessagePreview:
    """Fill in what the mail server would receive: From, subject and the text with its footer.

    The From is the lead's mailbox's, as its SMTP gateway would write it.
    """
    secret = config.secret_key.get_secret_value()
    if not secret:
        raise PreviewUnavailable("CAM_SECRET_KEY is not set: no email goes out without it")
    listed = [mailbox for mailbox in config.mailboxes if mailbox.key == sender.key]
    domain = safety.domain_of(sender.address) or config.sender_domain
    try:
        seen_as = mailbox_settings(settings, listed[0]) if listed else settings
        composer = Composer.from_settings(seen_as)
        email = outgoing_email(lead, row, rendered, secret=secret, message_id=f"<preview@{domain}>")
        message = composer.message(email, now=preview.goes_out_at)
    except (MailError, MailboxError) as exc:
        raise PreviewUnavailable(f"the email cannot be built: {exc}") from exc
    address = composer.sender.addr_spec
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else rendered.text
    return preview.model_copy(
        update={
            "mailbox": f"{sender.key} ({address})" if listed else address,
            "sender": str(message["From"]),
            "subject": str(message["Subject"]),
            "text": text,
            "has_html": rendered.html is not None,
        }
    )
