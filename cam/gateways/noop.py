"""Stand-ins for gateways a team has not configured: they deliver nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from cam.core.ports import (
    CrmLead,
    CrmRefs,
    EmailConnection,
    GatewayError,
    InboxBatch,
    SocialTask,
)


class NoopEmailSender:
    name = "noop-email"
    configured = False

    @contextmanager
    def connect(self) -> Iterator[EmailConnection]:
        raise GatewayError("email is not configured (set CAM_SMTP_HOST)")
        yield  # pragma: no cover


class NoopInboxReader:
    name = "noop-inbox"
    configured = False

    def fetch_since(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        return InboxBatch(uidvalidity=uidvalidity)

    def fetch_heads(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        return InboxBatch(uidvalidity=uidvalidity)


class NoopSocialPoster:
    name = "noop-linkedin"
    configured = False

    def create_task(self, task: SocialTask) -> None:
        raise GatewayError("LinkedIn tasks are not configured (set CAM_LINKEDIN_TASKS)")


class NoopCrmSyncer:
    name = "noop-crm"
    configured = False

    def sync(self, lead: CrmLead) -> CrmRefs:
        raise GatewayError("no CRM is configured (set CAM_HUBSPOT_TOKEN or CAM_CRM_WEBHOOK_URL)")
