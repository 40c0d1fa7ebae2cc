"""Storing what a read fetched: each batch in one transaction (message by message if that
fails), bounces kept to the recipients their evidence holds for, each reply matched to our
outreach or a lead, its row written and its lead acted on (cam/replies/actions.py).

The read loop that hands batches here is `cam/replies/reading.py`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import (
    Lead,
    OutreachMessage,
    Reply,
    ReplyClass,
    ReplyReview,
)
from cam.core.report import describe
from cam.replies import answer_later, bounce_evidence, cards
from cam.replies import cursor as cursors
from cam.replies.actions import LeadView, ReplyActions
from cam.replies.event_payloads import BounceUnverified
from cam.replies.parser import ParsedReply
from cam.replies.rules import Classification

log = logging.getLogger(__name__)

EXCERPT_CHARS = 4000


class _ReplyRow(TypedDict):
    """The columns of one stored reply: an INSERT's values, typed."""

    lead_id: int | None
    outreach_id: int | None
    message_id: str
    in_reply_to: str | None
    from_address: str
    subject: str
    body_excerpt: str
    classification: ReplyClass
    matched_rule: str
    explanation: str | None
    parse_note: str | None
    return_date: date | None
    referral_email: str | None
    referral_name: str | None
    bounce_reason: str | None
    data_request: bool
    review: ReplyReview | None
    mailbox_uid: str
    received_at: datetime
    landed_at: datetime


@dataclass(frozen=True)
class Item:
    """One fetched message, parsed and classified, with when it landed."""

    uid: int
    parsed: ParsedReply
    verdict: Classification
    landed_at: datetime | None = None


@dataclass
class ReadOutcome:
    """What committed batches did, added up only once each is committed."""

    stored: int = 0
    hot: int = 0
    unmatched: int = 0
    bounced: int = 0
    postponed: int = 0
    unsubscribed: int = 0
    # Mail-system notices whose failed recipients we never mailed: stored, nobody suppressed.
    unverified: int = 0
    cards: int = 0
    # Approvals of hot leads asked for with their interested replies' cards.
    approvals: int = 0
    by_class: Counter[str] = field(default_factory=Counter)

    def add(self, other: ReadOutcome) -> None:
        self.stored += other.stored
        self.hot += other.hot
        self.unmatched += other.unmatched
        self.bounced += other.bounced
        self.postponed += other.postponed
        self.unsubscribed += other.unsubscribed
        self.unverified += other.unverified
        self.cards += other.cards
        self.approvals += other.approvals
        self.by_class.update(other.by_class)


@dataclass
class MailboxRead:
    """One read of the mailbox: what was fetched and stored, and what went wrong."""

    mailbox: str
    # The key of the sender mailbox this inbox belongs to: bounces are believed only for mail
    # it sent.
    key: str = DEFAULT_KEY
    fetched: int = 0
    outcome: ReadOutcome = field(default_factory=ReadOutcome)
    # (message, item) of each reply that could not be stored.
    errors: list[tuple[str, str]] = field(default_factory=list)
    # Why the mailbox could not be read at all.
    failed: str | None = None


def store_batch(
    session_factory: SessionFactory,
    read: MailboxRead,
    uidvalidity: int,
    items: Sequence[Item],
    now: datetime,
    zone: ZoneInfo,
    workdays: frozenset[int],
) -> ReadOutcome:
    """Store a batch in one transaction; if that fails, each message alone, so one bad one
    costs only itself."""
    try:
        with unit_of_work(session_factory) as session:
            return _store(session, read, uidvalidity, items, now, zone, workdays)
    except Exception:  # never crash: whatever failed the batch is retried message by message
        log.warning("storing a batch of %d replies failed: retrying one by one", len(items))
    outcome = ReadOutcome()
    for item in items:
        try:
            with unit_of_work(session_factory) as session:
                outcome.add(_store(session, read, uidvalidity, [item], now, zone, workdays))
        except Exception as exc:  # never crash: one message that cannot be stored costs itself
            log.exception("storing reply uid %s failed", item.uid)
            read.errors.append((f"reply not stored: {describe(exc)}", f"uid {item.uid}"))
            # Move past it, or it would block every later message forever.
            with unit_of_work(session_factory) as session:
                cursors.advance(cursors.locked(session, read.mailbox), uidvalidity, [item.uid])
    return outcome


def _store(
    session: Session,
    read: MailboxRead,
    uidvalidity: int,
    items: Sequence[Item],
    now: datetime,
    zone: ZoneInfo,
    workdays: frozenset[int],
) -> ReadOutcome:
    """Store `items` and update their leads, then move the cursor past them: all or nothing."""
    cursor = cursors.locked(session, read.mailbox)
    # Another instance may have stored some of these since we read the cursor.
    items = [i for i in items if cursors.owed(cursor, uidvalidity, i.uid)]
    outcome = ReadOutcome()
    if not items:
        return outcome
    cursors.advance(cursor, uidvalidity, [i.uid for i in items])

    known = set(
        session.scalars(
            select(Reply.message_id).where(
                Reply.message_id.in_({i.parsed.message_id for i in items})
            )
        )
    )
    items, evidence = _checked_bounces(session, read, items, now)
    outbox = _outbox_by_message_id(session, [i.parsed for i in items])
    addresses = {i.parsed.from_address for i in items} | {
        a for i in items for a in i.verdict.hard_bounces
    }
    leads = _leads(session, addresses - {""}, {lead_id for _id, lead_id in outbox.values()})
    leads_by_email = {lead.email.lower(): lead for lead in leads.values()}

    rows: list[tuple[_ReplyRow, Classification]] = []
    effects: list[tuple[Item, LeadView | None]] = []
    for item in items:
        parsed, verdict = item.parsed, item.verdict
        if parsed.message_id in known or _norm(parsed.message_id) in outbox:
            continue  # already stored, or a copy of our own outgoing message
        known.add(parsed.message_id)
        outreach_id, lead_id = _match(parsed, verdict, outbox, leads_by_email)
        rows.append((_reply_row(item, uidvalidity, outreach_id, lead_id, now), verdict))
        outcome.stored += 1
        outcome.by_class[verdict.kind.value] += 1
        outcome.unmatched += lead_id is None
        outcome.unverified += parsed.message_id in evidence and not evidence[parsed.message_id]
        effects.append((item, leads.get(lead_id) if lead_id is not None else None))
    stored = _insert_replies(session, rows)
    reply_ids = {
        item.parsed.message_id: s.reply_id for (item, _), s in zip(effects, stored, strict=True)
    }
    actions = ReplyActions(session, now, zone, workdays)
    for item, lead in effects:
        actions.apply(
            item.verdict,
            item.parsed.from_address,
            lead,
            leads_by_email,
            reply_id=reply_ids[item.parsed.message_id],
            bounce_evidence=evidence.get(item.parsed.message_id),
        )
    actions.finish()
    queued = cards.queue_cards(session, stored, now)
    outcome.cards, outcome.approvals = queued.cards, queued.approvals
    answer_later.cancel_for_replies(session, stored, now)
    outcome.hot = actions.hot
    outcome.bounced = len(actions.bounced)
    outcome.postponed = actions.postponed
    outcome.unsubscribed = actions.unsubscribed
    return outcome


def _checked_bounces(
    session: Session, read: MailboxRead, items: Sequence[Item], now: datetime
) -> tuple[list[Item], dict[str, dict[str, str]]]:
    """Keep, of each permanent bounce, only the recipients its evidence holds for.

    Returns the items, a bounce without any trusted recipient turned into an unverified
    notice (`other`, with why), and the evidence of each bounce by its Message-ID.
    """
    checked: list[Item] = []
    evidence: dict[str, dict[str, str]] = {}
    for item in items:
        verdict = item.verdict
        if verdict.kind is not ReplyClass.bounce:
            checked.append(item)
            continue
        found = bounce_evidence.check(
            session, item.parsed, verdict, mailbox=read.key, now=now, landed=item.landed_at
        )
        evidence[item.parsed.message_id] = found.verified
        if found.verified:
            first, proof = next(iter(found.verified.items()))
            others = f"; {len(found.unverified)} not trusted" if found.unverified else ""
            trusted = replace(
                verdict,
                matched_rule=f"{verdict.matched_rule}; verified {first}: {proof}{others}"[:500],
                hard_bounces=tuple(found.verified),
                bounce_fallback=None,
            )
        else:
            why = f"{found.why_not()}; {verdict.matched_rule}"[:500]
            trusted = Classification(ReplyClass.other, why, automated=True)
            events.record(
                session,
                BounceUnverified(
                    mailbox=read.key,
                    message_id=item.parsed.message_id,
                    sender=item.parsed.from_header[:200],
                    why=found.why_not()[:1000],
                ),
                at=now,
            )
        checked.append(Item(item.uid, item.parsed, trusted))
    return checked, evidence


def _insert_replies(
    session: Session, rows: Sequence[tuple[_ReplyRow, Classification]]
) -> list[cards.StoredReply]:
    """Insert the reply rows in one statement; return them with their new ids."""
    if not rows:
        return []
    # RETURNING without a row order keeps it one statement (SQLite gives no order): the
    # Message-ID, unique, tells which id is whose.
    inserted = session.execute(
        insert(Reply).returning(Reply.id, Reply.message_id), [row for row, _ in rows]
    )
    ids = {message_id: reply_id for reply_id, message_id in inserted}
    return [
        cards.StoredReply(ids[row["message_id"]], row["lead_id"], verdict) for row, verdict in rows
    ]


def _norm(message_id: str) -> str:
    return message_id.strip().strip("<>").lower()


def _outbox_by_message_id(
    session: Session, replies: Iterable[ParsedReply]
) -> dict[str, tuple[int, int]]:
    """Map normalized Message-IDs of our outreach that these replies cite to (row id, lead id)."""
    cited = {mid for r in replies for mid in (*r.thread_ids, r.message_id)}
    candidates = cited | {mid.strip("<>") for mid in cited}
    if not candidates:
        return {}
    rows = session.execute(
        select(OutreachMessage.id, OutreachMessage.lead_id, OutreachMessage.message_id).where(
            OutreachMessage.message_id.in_(candidates)
        )
    )
    return {_norm(mid): (row_id, lead_id) for row_id, lead_id, mid in rows if mid}


def _leads(session: Session, addresses: set[str], ids: set[int]) -> dict[int, LeadView]:
    """Load, in one query, the leads these replies may concern: by address or by outreach."""
    if not addresses and not ids:
        return {}
    query = select(*LeadView.columns()).where(
        or_(func.lower(Lead.email).in_(addresses), Lead.id.in_(ids))
    )
    return {row.id: LeadView.of(row) for row in session.execute(query)}


def _match(
    parsed: ParsedReply,
    verdict: Classification,
    outbox: dict[str, tuple[int, int]],
    leads_by_email: dict[str, LeadView],
) -> tuple[int | None, int | None]:
    """Return (outreach id, lead id): by thread first, then bounced recipient, then sender."""
    for mid in parsed.thread_ids:
        if (found := outbox.get(_norm(mid))) is not None:
            return found
    for address in (*verdict.hard_bounces, parsed.from_address):
        if (lead := leads_by_email.get(address)) is not None:
            return None, lead.id
    return None, None


def _reply_row(
    item: Item,
    uidvalidity: int,
    outreach_id: int | None,
    lead_id: int | None,
    now: datetime,
) -> _ReplyRow:
    parsed, verdict = item.parsed, item.verdict
    sent = parsed.date
    received = sent if sent is not None and sent <= now + timedelta(days=1) else now
    return {
        "lead_id": lead_id,
        "outreach_id": outreach_id,
        "message_id": parsed.message_id,
        "in_reply_to": " ".join(parsed.in_reply_to or parsed.references[-1:])[:1000] or None,
        "from_address": parsed.from_address,
        "subject": parsed.subject,
        "body_excerpt": (parsed.new_text or parsed.text)[:EXCERPT_CHARS],
        "classification": verdict.kind,
        "matched_rule": verdict.matched_rule[:500],
        "explanation": verdict.explanation[:500] or None,
        "parse_note": parsed.parse_note,
        "return_date": verdict.return_date,
        "referral_email": verdict.referral.email[:320] if verdict.referral else None,
        "referral_name": (verdict.referral.name[:200] or None) if verdict.referral else None,
        "bounce_reason": verdict.bounce_reasons[0][1].value if verdict.bounce_reasons else None,
        "data_request": verdict.data_request,
        "review": verdict.review,
        "mailbox_uid": f"{uidvalidity}:{item.uid}"[:100],
        "received_at": received,
        # The mailbox's own time of arrival; a message without one landed when it was sent.
        "landed_at": item.landed_at or received,
    }
