"""Bounces that do not prove an address dead: counted, and suppressed at the third in a row.

A full mailbox, a spam filter's or a policy's refusal, a message too large or a delivery that
timed out say something about this message or this week: the address may take mail again, and
suppressing it at once would lose a live prospect. Such a bounce is stored with its reason and
the sequence goes on; when three of our messages to the lead have bounced so in a row (no reply
of the person's in between), the lead is suppressed as a dead address is. A reason that says
the address itself is gone (user or host unknown, account suspended), or one nobody could read
(`undefined`), suppresses at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cam.core.models import Reply, ReplyClass
from cam.replies.bounce_reasons import BounceReason

SOFT = frozenset(
    {
        BounceReason.mailbox_full,
        BounceReason.blocked,
        BounceReason.policy,
        BounceReason.too_large,
        BounceReason.expired,
    }
)
# Soft bounces in a row that suppress the lead.
IN_A_ROW = 3
# Replies that show the person read our mail: they break a row of soft bounces.
_FROM_THE_PERSON = frozenset(
    {
        ReplyClass.interested,
        ReplyClass.not_interested,
        ReplyClass.question,
        ReplyClass.unsubscribe,
        ReplyClass.out_of_office,
    }
)
# How far back a row is looked for: more replies than any sequence has steps.
_LOOK_BACK = 50


@dataclass(frozen=True)
class Row:
    """The lead's soft bounces in a row, newest first: the stored replies and their reasons."""

    reply_ids: tuple[int, ...]
    reasons: tuple[str, ...]

    @property
    def full(self) -> bool:
        """Whether the row is long enough to suppress."""
        return len(self.reply_ids) >= IN_A_ROW

    def evidence(self) -> str:
        """Why the lead is suppressed after all: the row's length, reasons and replies."""
        ids = ", ".join(str(i) for i in self.reply_ids)
        return f"{len(self.reply_ids)} bounces in a row ({', '.join(self.reasons)}; replies {ids})"


def is_soft(reason: BounceReason | None) -> bool:
    """Whether a bounce for this reason is counted rather than suppressing at once."""
    return reason in SOFT


def row_of(session: Session, lead_id: int, reply_id: int, reason: BounceReason) -> Row:
    """The soft bounces in a row for `lead_id`, with the stored reply `reply_id`, a soft
    bounce for `reason`.

    Several notices about one of our messages (a retry, a copy) count once: by the outreach
    row they were matched to. A reply of the person's (interested, not interested, a question,
    an opt-out, an absence) or a bounce that is not soft ends it; `other` neither counts nor
    ends it, since a mail system's notices that are no bounce (a delay) are stored so too.
    """
    rows = session.execute(
        select(Reply.id, Reply.outreach_id, Reply.classification, Reply.bounce_reason)
        .where(or_(Reply.lead_id == lead_id, Reply.id == reply_id))
        .order_by(Reply.received_at.desc(), Reply.id.desc())
        .limit(_LOOK_BACK)
    ).all()
    ids: list[int] = []
    reasons: list[str] = []
    messages: set[int] = set()
    for found_id, outreach_id, kind, found_reason in rows:
        # The reply at hand is soft for this lead (the column holds its first recipient's).
        soft = found_id == reply_id or (kind is ReplyClass.bounce and found_reason in SOFT)
        if not soft and (kind in _FROM_THE_PERSON or kind is ReplyClass.bounce):
            break
        if not soft:
            continue  # another notice (a delay, an unverified one): neither counts nor breaks
        message = outreach_id if outreach_id is not None else -found_id
        if message not in messages:
            messages.add(message)
            ids.append(found_id)
            reasons.append(str(found_reason if found_id != reply_id else reason))
    return Row(tuple(ids), tuple(reasons))
