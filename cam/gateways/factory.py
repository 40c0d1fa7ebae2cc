"""Pick each gateway from the settings: the real one when configured, else a no-op."""

from __future__ import annotations

from cam.core.settings import Settings
from cam.gateways.base import CrmSyncer, EmailSender, Gateways, InboxReader, SocialPoster
from cam.gateways.hubspot import HubSpotCrm
from cam.gateways.imap import ImapInboxReader
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster
from cam.gateways.smtp import SmtpEmailSender
from cam.gateways.webhook import WebhookCrm


def build_gateways(settings: Settings) -> Gateways:
    """Return the gateways the settings configure."""
    return Gateways(
        email=_email(settings),
        inbox=_inbox(settings),
        social=_social(settings),
        crm=_crm(settings),
    )


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
