"""Pick each gateway from the settings: the real one when configured, else a no-op."""

from __future__ import annotations

from collections.abc import Sequence

from cam.core.mailboxes import MailboxConfig, mailbox_settings
from cam.core.ports import (
    CrmSyncer,
    EmailSender,
    Gateways,
    InboxReader,
    MailboxGateways,
    SocialPoster,
)
from cam.core.settings import Settings
from cam.gateways.hubspot import HubSpotCrm
from cam.gateways.imap import ImapInboxReader
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster
from cam.gateways.smtp import SmtpEmailSender
from cam.gateways.webhook import WebhookCrm


def build_gateways(settings: Settings, mailboxes: Sequence[MailboxConfig]) -> Gateways:
    """Return the gateways the settings configure: one SMTP and IMAP pair per mailbox of the
    mailboxes file (`mailboxes`, read once by the process; empty without one).

    Raise `MailboxError` when a mailbox's password variable is not set (named with its line).
    """
    pairs = {}
    for mailbox in mailboxes:
        seen_as = mailbox_settings(settings, mailbox)
        pairs[mailbox.key] = MailboxGateways(email=_email(seen_as), inbox=_inbox(seen_as))
    return Gateways(
        email=_email(settings),
        inbox=_inbox(settings),
        social=_social(settings),
        crm=_crm(settings),
        mailboxes=pairs,
    )


def sent_folders(settings: Settings, mailboxes: Sequence[MailboxConfig]) -> list[InboxReader]:
    """A reader of each mailbox's Sent folder (`CAM_IMAP_SENT_FOLDER`), where it has IMAP."""
    if not settings.imap_sent_folder:
        return []
    accounts = [mailbox_settings(settings, mailbox) for mailbox in mailboxes] or [settings]
    return [
        ImapInboxReader(account.model_copy(update={"imap_folder": settings.imap_sent_folder}))
        for account in accounts
        if account.imap_host
    ]


def _email(settings: Settings) -> EmailSender:
    sender = SmtpEmailSender(settings)
    return sender if sender.configured else NoopEmailSender()


def _inbox(settings: Settings) -> InboxReader:
    reader = ImapInboxReader(settings)
    return reader if reader.configured else NoopInboxReader()


def _social(settings: Settings) -> SocialPoster:
    return LinkedInTaskPoster() if settings.linkedin_tasks else NoopSocialPoster()


def _crm(settings: Settings) -> CrmSyncer:
    """HubSpot when it has a token, else the webhook when it has a URL, else nothing."""
    if settings.hubspot_token.get_secret_value():
        return HubSpotCrm.from_settings(settings)
    if settings.crm_webhook_url:
        return WebhookCrm.from_settings(settings)
    return NoopCrmSyncer()
