"""The ports between the engine and the outside world: protocols, their messages and errors.

They live in core so every layer may name them; cam.gateways holds the implementations.
The engine only ever talks to these protocols; the factory picks a real implementation when
it is configured and a no-op otherwise. A no-op never counts as sent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cam.core.mailboxes import DEFAULT_KEY


class GatewayError(Exception):
    """The gateway could not be reached or refused us: nothing was delivered."""


def mask_secret(text: str, secret: str, mark: str = "***") -> str:
    """Hide `secret` where it stands whole in `text` (what a server may echo back).

    Only a whole occurrence, not one inside a longer word: with a short password such as
    `su`, the server's "SMTP AUTH extension not supported" must still read as it was written.
    """
    if not secret:
        return text
    whole = rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])"
    return re.sub(whole, lambda _: mark, text)


class DeliveryUnknownError(Exception):
    """The link broke after the whole message was handed over: it may have been delivered.

    Not a `GatewayError`: sending it again could deliver it twice, so a person must check.
    """


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None
    message_id: str
    unsubscribe_token: str
    lead_id: int
    step: int
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


class SendOutcome(enum.StrEnum):
    accepted = "accepted"
    retry_later = "retry_later"  # 4xx: keep it due, try again with backoff
    rejected = "rejected"  # 5xx for the recipient: a hard bounce


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    detail: str = ""


class EmailConnection(Protocol):
    def send(self, message: OutgoingEmail) -> SendResult: ...


class EmailSender(Protocol):
    name: str
    configured: bool

    def connect(self) -> AbstractContextManager[EmailConnection]:
        """Open one connection for a batch of sends; raise `GatewayError` if impossible."""
        ...


@dataclass(frozen=True)
class InboxMessage:
    uid: int
    raw: bytes
    # When the server received it (IMAP INTERNALDATE): when the reply landed, for speed to lead.
    received_at: datetime | None = None


@dataclass(frozen=True)
class InboxBatch:
    uidvalidity: int
    messages: list[InboxMessage] = field(default_factory=list)
    # UIDs asked for (new, or retried) that the server's FETCH answer left out.
    missing: list[int] = field(default_factory=list)
    # The folder was read from its start: the same UIDVALIDITY, but every UID below ours.
    reset: bool = False
    # More messages wait past `limit`: read again.
    more: bool = False


# The header fields a read ranks new mail by (`InboxReader.fetch_heads`): who wrote, what it
# answers, whether a machine sent it.
HEAD_FIELDS = ("From", "In-Reply-To", "References", "Auto-Submitted", "Content-Type")


class InboxReader(Protocol):
    name: str
    configured: bool

    def fetch_since(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """Return the first `limit` messages after `last_uid` (all of them if UIDVALIDITY
        changed, or if the folder was renumbered from 1), with those of `retry`, in UID order."""
        ...

    def fetch_heads(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """Return what `fetch_since` would, but each message's `raw` only its header, at
        least the `HEAD_FIELDS` (a small read, to choose what to fetch first)."""
        ...


class InboxIdle(Protocol):
    """A connection that waits for news in the folder (IMAP IDLE); used as a context manager."""

    supported: bool

    def __enter__(self) -> InboxIdle: ...

    def __exit__(self, *exc: object) -> None: ...

    def wait(self, timeout: float, renew_after: float) -> bool:
        """Wait up to `timeout` seconds; True when the folder changed. `GatewayError` if lost."""
        ...


@dataclass(frozen=True)
class SocialTask:
    outreach_id: int
    lead_id: int
    lead_name: str
    company: str
    title: str
    profile_url: str | None
    message: str


class SocialPoster(Protocol):
    name: str
    configured: bool

    def create_task(self, task: SocialTask) -> None:
        """Hand a queued step to whoever sends it; `GatewayError` if that is impossible.

        The engine writes the task and its notification first, in its own transaction; a
        raise rolls both back.
        """
        ...


@dataclass(frozen=True)
class CrmLead:
    email: str
    first_name: str
    last_name: str
    company: str
    title: str
    score: int
    score_reasons: tuple[str, ...]
    reply_subject: str = ""
    reply_text: str = ""
    contact_id: str | None = None
    deal_id: str | None = None


@dataclass(frozen=True)
class CrmRefs:
    contact_id: str | None
    deal_id: str | None


class CrmSyncError(GatewayError):
    """The CRM sync failed part-way: `refs` holds what was created, so a retry reuses it."""

    def __init__(self, message: str, refs: CrmRefs) -> None:
        super().__init__(message)
        self.refs = refs


class CrmSyncer(Protocol):
    name: str
    configured: bool

    def sync(self, lead: CrmLead) -> CrmRefs:
        """Create or update the contact and its deal; reuse the ids the lead already has."""
        ...


@dataclass(frozen=True)
class MailboxGateways:
    """One listed mailbox's way out (SMTP) and way in (IMAP)."""

    email: EmailSender
    inbox: InboxReader


@dataclass(frozen=True)
class Gateways:
    """The gateways of a run. `email` and `inbox` are the `default` mailbox's; a team with a
    mailboxes file has one `MailboxGateways` per listed mailbox in `mailboxes` instead."""

    email: EmailSender
    inbox: InboxReader
    social: SocialPoster
    crm: CrmSyncer
    mailboxes: Mapping[str, MailboxGateways] = field(default_factory=dict)

    def sender(self, key: str) -> EmailSender | None:
        """Return the way out of the mailbox `key`, or None when the team has no such one."""
        if not self.mailboxes:
            return self.email if key == DEFAULT_KEY else None
        found = self.mailboxes.get(key)
        return found.email if found is not None else None

    def inboxes(self) -> list[InboxReader]:
        """Return every mailbox's way in: replies are read from all of them."""
        return [reader for _key, reader in self.keyed_inboxes()]

    def keyed_inboxes(self) -> list[tuple[str, InboxReader]]:
        """Return every mailbox's way in with the key of the mailbox it belongs to."""
        if not self.mailboxes:
            return [(DEFAULT_KEY, self.inbox)]
        return [(key, mailbox.inbox) for key, mailbox in self.mailboxes.items()]

    def not_configured(self) -> list[str]:
        """Name the channels that fall back to a no-op."""
        configured = {
            "email": self.email.configured,
            "inbox": self.inbox.configured,
            "linkedin": self.social.configured,
            "crm": self.crm.configured,
        }
        return [name for name, on in configured.items() if not on]
