"""The demo's mailbox: an `InboxReader` holding the mail the demo's script delivers.

It answers the cycle's reply phase as an IMAP server does (UIDs from 1 in arrival order under
one UIDVALIDITY, the arrival time as INTERNALDATE), so the real reading chain (cursor, parser,
classifier, actions) reads it exactly as it reads a team's mailbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cam.core.ports import InboxBatch, InboxMessage


@dataclass
class DemoInbox:
    """Mail delivered by `deliver`, served by `fetch_heads` and `fetch_since`."""

    name: str = "demo-inbox"
    configured: bool = True
    uidvalidity: int = 1
    messages: list[InboxMessage] = field(default_factory=list)

    def deliver(self, raw: bytes, at: datetime) -> int:
        """Put one RFC 5322 message in the mailbox as arrived at `at`; return its UID."""
        uid = len(self.messages) + 1
        self.messages.append(InboxMessage(uid, raw, received_at=at))
        return uid

    def fetch_since(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """Return the first `limit` messages after `last_uid` and those of `retry`, by UID."""
        if uidvalidity != self.uidvalidity:
            last_uid, retry = 0, ()
        newest = len(self.messages)
        wanted = sorted({u for u in retry if 0 < u <= min(last_uid, newest)})
        wanted += range(last_uid + 1, newest + 1)
        return InboxBatch(
            self.uidvalidity,
            [self.messages[uid - 1] for uid in wanted[:limit]],
            more=len(wanted) > limit,
        )

    def fetch_heads(
        self, uidvalidity: int, last_uid: int, *, retry: Sequence[int] = (), limit: int = 500
    ) -> InboxBatch:
        """The same choice as `fetch_since`: a demo's few messages are served whole, which
        holds the headers the read ranks them by."""
        return self.fetch_since(uidvalidity, last_uid, retry=retry, limit=limit)
