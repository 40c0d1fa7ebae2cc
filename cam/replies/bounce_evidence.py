"""Whether a bounce is about mail we really sent: the evidence a suppression is written on.

Anyone can send a delivery report, and one naming fifty of our leads would otherwise suppress
fifty real prospects for good. A permanently failed recipient is trusted only when we sent it
a message from this mailbox within `WINDOW` (an outbox row that went out) and either

- the notice refers to our message: one of our Message-IDs in its returned headers,
  In-Reply-To / References, or its text (strongest when it is the message to that recipient);
- or, weaker but accepted, it came back to the mailbox that sent to the recipient, naming the
  recipient in a delivery-status block or an explicit failure line (flufl.bounce's reading).

A recipient named only by the returned message's To:, or one we never mailed from here, is not
trusted; a notice with no trusted recipient is an unverified notice and suppresses nobody.
Only messages sent before the notice landed in the mailbox (its INTERNALDATE, the server's
clock, with a margin for skew) count: a notice that sat in the inbox before we ever wrote to
an address cannot be about our mail to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Lead, OutreachMessage, OutreachStatus
from cam.replies import bounces
from cam.replies.parser import ParsedReply
from cam.replies.rules import Classification

# How long after our message a notice about it is believed.
WINDOW = timedelta(days=90)
# How far the mail server's clock may run behind ours when it stamps a notice's arrival.
CLOCK_SKEW = timedelta(minutes=10)
# A Message-ID quoted anywhere in the notice's text (the returned headers of many MTAs).
_MESSAGE_ID = re.compile(r"<[^<>\s@]{1,250}@[^<>\s@]{1,250}>")
_CITED_MAX = 50


@dataclass(frozen=True)
class _Sent:
    lead_id: int
    email: str
    message_id: str
    sent_at: datetime


@dataclass
class BounceCheck:
    """What a notice proves: the recipients it may suppress with their evidence, and why not
    the others."""

    verified: dict[str, str] = field(default_factory=dict)
    unverified: dict[str, str] = field(default_factory=dict)

    def why_not(self) -> str:
        """Why nothing in the notice is trusted, for the stored reply and the event."""
        shown = "; ".join(f"{a}: {why}" for a, why in list(self.unverified.items())[:3])
        more = len(self.unverified) - 3
        tail = f"; and {more} more" if more > 0 else ""
        return f"unverified notice, nobody suppressed: {shown or 'no failed recipient'}{tail}"


def check(
    session: Session,
    parsed: ParsedReply,
    verdict: Classification,
    *,
    mailbox: str,
    now: datetime,
    landed: datetime | None = None,
) -> BounceCheck:
    """Sort the permanently failed recipients of a notice into trusted and not, with why.

    `landed` is when the notice reached the mailbox, if the server said (else `now`).
    """
    cited = _cited_ids(parsed)
    until = min(now, landed + CLOCK_SKEW) if landed is not None else now
    sent = _sent_from(session, mailbox, set(verdict.hard_bounces), cited, now, until)
    by_id = {_norm(s.message_id): s for s in sent}
    ours = [by_id[_norm(mid)] for mid in cited if _norm(mid) in by_id]
    statuses = _statuses(parsed)
    fallback = set(verdict.bounce_fallback or ())
    to_only = fallback & {a.lower() for a in parsed.returned_to}
    candidates = list(verdict.hard_bounces)
    if verdict.bounce_fallback is not None and ours:
        # A failure naming no usable address: the recipient of our cited message is the one,
        # not the returned To: or flufl.bounce's guess.
        candidates = [a for a in candidates if a not in fallback] + [s.email for s in ours]
    result = BounceCheck()
    for address in dict.fromkeys(a.lower() for a in candidates):
        mine = [s for s in sent if s.email == address]
        status = statuses.get(address, "no status")
        if not mine:
            result.unverified[address] = (
                f"nothing sent to it from {mailbox} in the {WINDOW.days} days before the notice"
            )
        elif own := [s for s in mine if s in ours]:
            result.verified[address] = f"our message {own[0].message_id} returned, status {status}"
        elif address in to_only:
            result.unverified[address] = "named only by the returned To:, no Message-ID of ours"
        elif ours:
            result.verified[address] = (
                f"cites our message {ours[0].message_id}; sent {mine[-1].message_id}"
                f" on {mine[-1].sent_at.date().isoformat()}, status {status}"
            )
        else:
            line = "delivery-status" if address in statuses else "failure line"
            result.verified[address] = (
                f"came back to {mailbox} after {mine[-1].message_id}"
                f" ({mine[-1].sent_at.date().isoformat()}); {line} status {status}"
            )
    return result


def _cited_ids(parsed: ParsedReply) -> list[str]:
    """Message-IDs the notice quotes, without brackets: headers first, then its text."""
    found = [*parsed.thread_ids, *_MESSAGE_ID.findall(parsed.text)]
    return list(dict.fromkeys(m.strip().strip("<>") for m in found if m.strip()))[:_CITED_MAX]


def _statuses(parsed: ParsedReply) -> dict[str, str]:
    """The status a delivery-status block gives each recipient it names usably."""
    found: dict[str, str] = {}
    for block in parsed.dsn:
        if (address := bounces.recipient(block)) is not None:
            found.setdefault(address, block.status or block.action or "no status")
    return found


def _sent_from(
    session: Session,
    mailbox: str,
    addresses: set[str],
    cited: Iterable[str],
    now: datetime,
    until: datetime,
) -> list[_Sent]:
    """Our messages that went out from `mailbox` within the window and by `until`, to these
    addresses or with these Message-IDs, oldest first."""
    cited = list(cited)
    wanted = [OutreachMessage.message_id.in_([*cited, *(f"<{mid}>" for mid in cited)])]
    if addresses:
        wanted.append(func.lower(Lead.email).in_(addresses))
    from_here = Lead.mailbox == mailbox
    if mailbox == DEFAULT_KEY:
        from_here = or_(from_here, Lead.mailbox.is_(None))
    rows = session.execute(
        select(Lead.id, Lead.email, OutreachMessage.message_id, OutreachMessage.sent_at)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(
            OutreachMessage.status == OutreachStatus.sent,
            OutreachMessage.message_id.is_not(None),
            OutreachMessage.sent_at >= now - WINDOW,
            OutreachMessage.sent_at <= until,
            from_here,
            or_(*wanted),
        )
        .order_by(OutreachMessage.sent_at)
    ).all()
    return [_Sent(lead, email.lower(), mid, at) for lead, email, mid, at in rows if mid and at]


def _norm(message_id: str) -> str:
    return message_id.strip().strip("<>").lower()
