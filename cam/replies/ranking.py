"""Which new mail a read fetches first: ours before strangers'.

A read ranks the heads of the new messages (`InboxReader.fetch_heads`) before it fetches any
whole message, so a flood of mail from strangers waits behind the replies that matter: first a
person's mail on our threads (In-Reply-To or References citing a message we sent, a campaign
step or an answer from Slack) or from a lead's address; then automatic mail about them (an
absence notice) and delivery reports, so a flood of forged notices cannot hold a person's
reply back either; everything else after, in arrival order. The rank is only a place in the
queue: every message is still fetched, classified and checked as any other (a forged report
gains no trust by coming early). A From address is easy to forge: a flood signed with a
lead's own address shares that lead's rank, and only arrival order decides within it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cam.core.models import Answer, Lead, OutreachMessage
from cam.core.ports import InboxMessage
from cam.replies.parser import ParsedReply, parse_reply

# Values per IN (...) of a lookup: a thousand heads may cite fifty thousand ids, more than
# SQLite binds in one statement.
IN_CHUNK = 500
# Local parts of the mail system itself: its notices come from these (or from `<>`).
MAIL_SYSTEM = frozenset({"mailer-daemon", "postmaster"})


class Rank(enum.IntEnum):
    person = 0
    automatic = 1
    rest = 2


def first(session: Session, heads: Sequence[InboxMessage]) -> list[list[int]]:
    """The UIDs of `heads` to fetch before the rest: one list a rank, the best first, each
    by UID (never fetched together: a rank's batch waits for no mail of a lower one)."""
    parsed = [(head.uid, parse_reply(head.raw)) for head in heads]
    cited = {mid for _uid, reply in parsed for mid in reply.thread_ids}
    sent = _found(session, (OutreachMessage.message_id, Answer.message_id), _spellings(cited))
    ours = {_norm(mid) for mid in sent}
    leads = _found(session, (func.lower(Lead.email),), {r.from_address for _u, r in parsed} - {""})
    ranked = sorted((_rank(reply, ours, leads), uid) for uid, reply in parsed)
    return [
        [uid for place, uid in ranked if place is rank] for rank in (Rank.person, Rank.automatic)
    ]


def _rank(reply: ParsedReply, ours: Collection[str], leads: Collection[str]) -> Rank:
    """The place of one message by its header: `ours` normalized Message-IDs, `leads` addresses."""
    known = reply.from_address in leads or any(_norm(m) in ours for m in reply.thread_ids)
    automatic = reply.auto_headers.get("auto-submitted", "no") != "no"
    if known and not automatic:
        return Rank.person
    if known or _delivery_report(reply):
        return Rank.automatic
    return Rank.rest


def _delivery_report(reply: ParsedReply) -> bool:
    """A report (RFC 3464 or any multipart/report), or mail from the null or system sender."""
    local = reply.from_address.partition("@")[0]
    return (
        reply.content_type == "multipart/report"
        or reply.from_header.strip() == "<>"
        or local in MAIL_SYSTEM
    )


def _found(
    session: Session,
    columns: Iterable[InstrumentedAttribute[str | None] | ColumnElement[str]],
    values: Collection[str],
) -> set[str]:
    """The `values` that any of `columns` holds, looked up `IN_CHUNK` at a time."""
    found: set[str] = set()
    ordered = sorted(values)
    for column in columns:
        for start in range(0, len(ordered), IN_CHUNK):
            chunk = ordered[start : start + IN_CHUNK]
            found.update(v for v in session.scalars(select(column).where(column.in_(chunk))) if v)
    return found


def _spellings(message_ids: Iterable[str]) -> set[str]:
    """Each Message-ID as cited and without its angle brackets: either may be stored."""
    return {spelled for mid in message_ids for spelled in (mid, mid.strip("<>"))}


def _norm(message_id: str) -> str:
    return message_id.strip().strip("<>").lower()
