"""The events of phase 4 and of what people do with replies: reads of a mailbox, opt-outs,
restores, triage and labels."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from cam.core.enums import ReplyClass, SuppressionSource, TriageChoice
from cam.core.events import EventPayload
from cam.replies.ledger_row import LedgerRow


class RepliesDetected(EventPayload):
    """One read of one mailbox, counted; with no mailbox set up, `configured=False` and no
    count but `replies`."""

    name = "cam.replies_detected"

    configured: bool = True
    mailbox: str | None = None
    uidvalidity_changed: bool = False
    fetched: int = 0
    # Of those, fetched ahead of the rest: replies to us, from our leads, then notices.
    fetched_first: int = 0
    replies: int
    by_class: dict[ReplyClass, int] = {}
    hot: int = 0
    unmatched: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    unverified_notices: int = 0
    postponed: int = 0
    cards: int = 0


class MailboxReset(EventPayload):
    """A mailbox renumbered from 1 under the same UIDVALIDITY: read again from its start."""

    name = "cam.mailbox_reset"

    mailbox: str
    uidvalidity: int
    cursor_was: int


class ReplyUidGivenUp(EventPayload):
    """A UID the server left out of its FETCH answers read after read: the cursor moved past
    it."""

    name = "cam.reply_uid_given_up"

    mailbox: str
    uidvalidity: int
    uid: int
    reads: int


class BounceUnverified(EventPayload):
    """A mail-system notice naming recipients we never mailed, or citing nothing of ours:
    stored, nobody suppressed. `sender` is stored as `from` (its header, cut)."""

    model_config = ConfigDict(validate_by_name=True)

    name = "cam.bounce_unverified"

    mailbox: str
    message_id: str
    sender: str = Field(alias="from")
    why: str


class Unsubscribed(EventPayload):
    """An address suppressed (or its leads stopped) on an opt-out, with its grounds."""

    name = "cam.unsubscribed"

    email: str
    source: SuppressionSource
    evidence: str
    by: str | None
    reply_id: int | None
    lead_ids: list[int]
    suppressed: bool
    outreach_skipped: int


class SuppressionRestored(EventPayload):
    """A suppression lifted by a person, with who and why, and the row it lifted."""

    name = "cam.suppression_restored"

    email: str
    by: str
    reason: str
    resume: bool
    steps_revived: int
    lead_ids: list[int]
    lifted: LedgerRow


class ReplyTriaged(EventPayload):
    name = "cam.reply_triaged"

    reply_id: int
    choice: TriageChoice
    by: str
    lead_id: int | None


class TriageRefusal(EventPayload):
    """A click on a reply card that was not carried out, with who and why."""

    name = "cam.triage_refused"

    reply_id: int | None
    by: str
    action: str
    why: str


class LabelTrusted(EventPayload):
    """A reply's label vouched for by a second person: the classifier learns from it."""

    name = "cam.label_trusted"

    reply_id: int
    by: str


class LabelUndone(EventPayload):
    """A label undone by an approver: the classifier stops learning from it."""

    name = "cam.label_undone"

    label_id: int
    reply_id: int
    by: str
