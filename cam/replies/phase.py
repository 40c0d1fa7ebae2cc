"""Phase 4: read new mail, store each reply with its class, and act on its lead.

A reply is matched to our outreach by In-Reply-To / References (or the Message-ID a bounce
quotes back), else to a lead by the sender's address. Any reply from a person stops the lead's
sequence; `interested` makes the lead hot, `unsubscribe` suppresses it forever, a hard bounce
marks it bounced and suppressed, and an out-of-office postpones its next step to the return
date without stopping anything. The mailbox cursor advances in the same transaction as the
replies it covers, so a crash re-reads messages rather than losing them, and the Message-ID
dedupe makes re-reading harmless.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from cam.core import bulk, events
from cam.core.context import CycleContext
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Lead,
    MailboxCursor,
    OutreachMessage,
    Reply,
)
from cam.core.report import describe
from cam.gateways.base import GatewayError, InboxReader
from cam.replies import cards
from cam.replies.actions import LeadView, ReplyActions
from cam.replies.learning import Classify, LearningClassifier
from cam.replies.parser import ParsedReply, parse_reply
from cam.replies.rules import Classification

log = logging.getLogger(__name__)

PHASE = "replies"
# Messages stored per transaction.
BATCH = 200
EXCERPT_CHARS = 4000


@dataclass(frozen=True)
class _Item:
    uid: int
    parsed: ParsedReply
    verdict: Classification


@dataclass
class ReadOutcome:
    """What committed batches did, added up only once each is committed."""

    stored: int = 0
    hot: int = 0
    unmatched: int = 0
    bounced: int = 0
    postponed: int = 0
    unsubscribed: int = 0
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
        self.cards += other.cards
        self.approvals += other.approvals
        self.by_class.update(other.by_class)


@dataclass
class MailboxRead:
    """One read of the mailbox: what was fetched and stored, and what went wrong."""

    mailbox: str
    fetched: int = 0
    outcome: ReadOutcome = field(default_factory=ReadOutcome)
    # (message, item) of each reply that could not be stored.
    errors: list[tuple[str, str]] = field(default_factory=list)
    # Why the mailbox could not be read at all.
    failed: str | None = None


def detect_replies(ctx: CycleContext) -> None:
    """Fetch the mail that arrived in each mailbox since its cursor, store and classify it."""
    readers = [reader for reader in ctx.gateways.inboxes() if reader.configured]
    if not readers:
        with unit_of_work(ctx.session_factory) as session:
            events.record(
                session, events.REPLIES_DETECTED, {"configured": False, "replies": 0}, ctx.cycle_id
            )
        return
    now = ctx.clock()
    zone = ZoneInfo(ctx.config.timezone)
    classify = LearningClassifier(
        ctx.session_factory, ctx.config.reply_rules_file, zone
    ).for_moment(now)
    for reader in readers:
        read = read_mailbox(
            ctx.session_factory,
            reader,
            classify,
            now=now,
            zone=zone,
            cycle_id=ctx.cycle_id,
            record_empty=True,
        )
        if read.failed is not None:
            ctx.report.error(PHASE, read.failed, item=read.mailbox)
        for message, item in read.errors:
            ctx.report.error(PHASE, message, item=item)
        ctx.report.replies_detected += read.outcome.stored
        ctx.report.hot_leads_detected += read.outcome.hot
        # Phase 5 finds these leads already escalated: the approvals are counted here.
        ctx.report.approvals_requested += read.outcome.approvals


def read_mailbox(
    session_factory: SessionFactory,
    reader: InboxReader,
    classifier: Classify,
    *,
    now: datetime,
    zone: ZoneInfo,
    cycle_id: int | None = None,
    record_empty: bool = False,
) -> MailboxRead:
    """Read the mail after the stored cursor, store it in batches, act on the leads.

    The one path of phase 4 and of the reply watcher: each batch of `BATCH` messages is one
    transaction (replies, lead changes, cards, escalations and the cursor together).
    """
    mailbox = reader.name
    read = MailboxRead(mailbox)
    with unit_of_work(session_factory) as session:
        uidvalidity, last_uid = _read_cursor(session, mailbox)
    try:
        batch = reader.fetch_since(uidvalidity, last_uid)
    except GatewayError as exc:
        read.failed = str(exc)
        return read
    messages = sorted(batch.messages, key=lambda m: m.uid)
    read.fetched = len(messages)
    for start in range(0, len(messages), BATCH):
        items = [
            _Item(m.uid, parsed, classifier(parsed))
            for m in messages[start : start + BATCH]
            for parsed in (parse_reply(m.raw),)
        ]
        read.outcome.add(
            _store_isolated(session_factory, read, batch.uidvalidity, items, now, zone)
        )
    if read.fetched or record_empty:
        with unit_of_work(session_factory) as session:
            events.record(
                session,
                events.REPLIES_DETECTED,
                {
                    "mailbox": mailbox,
                    "uidvalidity_changed": bool(uidvalidity) and uidvalidity != batch.uidvalidity,
                    "fetched": read.fetched,
                    "replies": read.outcome.stored,
                    "by_class": dict(read.outcome.by_class),
                    "hot": read.outcome.hot,
                    "unmatched": read.outcome.unmatched,
                    "bounced": read.outcome.bounced,
                    "unsubscribed": read.outcome.unsubscribed,
                    "postponed": read.outcome.postponed,
                    "cards": read.outcome.cards,
                },
                cycle_id,
            )
    return read


def _read_cursor(session: Session, mailbox: str) -> tuple[int, int]:
    """Return (UIDVALIDITY, last UID) of `mailbox`, creating its cursor row if it has none."""
    row = {"mailbox": mailbox, "uidvalidity": 0, "last_uid": 0, "updated_at": datetime.now(UTC)}
    bulk.insert_ignoring(session, MailboxCursor, [row])
    cursor = session.scalars(select(MailboxCursor).where(MailboxCursor.mailbox == mailbox)).one()
    return cursor.uidvalidity, cursor.last_uid


def _store_isolated(
    session_factory: SessionFactory,
    read: MailboxRead,
    uidvalidity: int,
    items: Sequence[_Item],
    now: datetime,
    zone: ZoneInfo,
) -> ReadOutcome:
    """Store a batch in one transaction; if that fails, each message alone, so one bad one
    costs only itself."""
    try:
        with unit_of_work(session_factory) as session:
            return _store(session, read.mailbox, uidvalidity, items, now, zone)
    except Exception:  # never crash: whatever failed the batch is retried message by message
        log.warning("storing a batch of %d replies failed: retrying one by one", len(items))
    outcome = ReadOutcome()
    for item in items:
        try:
            with unit_of_work(session_factory) as session:
                outcome.add(_store(session, read.mailbox, uidvalidity, [item], now, zone))
        except Exception as exc:  # never crash: one message that cannot be stored costs itself
            log.exception("storing reply uid %s failed", item.uid)
            read.errors.append((f"reply not stored: {describe(exc)}", f"uid {item.uid}"))
            # Move past it, or it would block every later message forever.
            with unit_of_work(session_factory) as session:
                _advance(_locked_cursor(session, read.mailbox), uidvalidity, [item])
    return outcome


def _locked_cursor(session: Session, mailbox: str) -> MailboxCursor:
    query = select(MailboxCursor).where(MailboxCursor.mailbox == mailbox).with_for_update()
    return session.scalars(query).one()


def _advance(cursor: MailboxCursor, uidvalidity: int, items: Sequence[_Item]) -> None:
    if cursor.uidvalidity != uidvalidity:
        cursor.uidvalidity = uidvalidity
        cursor.last_uid = 0
    cursor.last_uid = max([cursor.last_uid, *(i.uid for i in items)])


def _store(
    session: Session,
    mailbox: str,
    uidvalidity: int,
    items: Sequence[_Item],
    now: datetime,
    zone: ZoneInfo,
) -> ReadOutcome:
    """Store `items` and update their leads, then move the cursor past them: all or nothing."""
    cursor = _locked_cursor(session, mailbox)
    if cursor.uidvalidity == uidvalidity:
        # Another instance may have stored some of these since we read the cursor.
        items = [i for i in items if i.uid > cursor.last_uid]
    outcome = ReadOutcome()
    if not items:
        return outcome
    _advance(cursor, uidvalidity, items)

    known = set(
        session.scalars(
            select(Reply.message_id).where(
                Reply.message_id.in_({i.parsed.message_id for i in items})
            )
        )
    )
    outbox = _outbox_by_message_id(session, [i.parsed for i in items])
    addresses = {i.parsed.from_address for i in items} | {
        a for i in items for a in i.verdict.hard_bounces
    }
    leads = _leads(session, addresses - {""}, {lead_id for _id, lead_id in outbox.values()})
    leads_by_email = {lead.email.lower(): lead for lead in leads.values()}

    actions = ReplyActions(session, now, zone)
    rows: list[tuple[dict[str, Any], Classification]] = []
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
        lead = leads.get(lead_id) if lead_id is not None else None
        actions.apply(
            verdict, parsed.from_address, lead, leads_by_email, by_thread=outreach_id is not None
        )
    stored = _insert_replies(session, rows)
    actions.finish()
    queued = cards.queue_cards(session, stored, now)
    outcome.cards, outcome.approvals = queued.cards, queued.approvals
    outcome.hot = actions.hot
    outcome.bounced = len(actions.bounced)
    outcome.postponed = actions.postponed
    outcome.unsubscribed = actions.unsubscribed
    return outcome


def _insert_replies(
    session: Session, rows: Sequence[tuple[dict[str, Any], Classification]]
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
    item: _Item,
    uidvalidity: int,
    outreach_id: int | None,
    lead_id: int | None,
    now: datetime,
) -> dict[str, Any]:
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
        "mailbox_uid": f"{uidvalidity}:{item.uid}"[:100],
        "received_at": received,
    }
