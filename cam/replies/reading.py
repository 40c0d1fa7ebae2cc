"""Phase 4: read new mail, store each reply with its class, and act on its lead.

A reply is matched to our outreach by In-Reply-To / References (or the Message-ID a bounce
quotes back), else to a lead by the sender's address. Any reply from a person stops the lead's
sequence; `interested` makes the lead hot, an explicit opt-out suppresses it forever (a model's
guess waits for a person), a hard bounce about mail we really sent from this mailbox marks it
bounced and suppressed (any other notice is stored as unverified and suppresses nobody), and an
out-of-office postpones its next step to the return date without stopping anything; a reply
from a lead withdraws the answer scheduled for their return, for a person to look again. The
mailbox cursor advances in the same transaction as the replies it covers, so a crash re-reads
messages rather than losing them, and the Message-ID dedupe makes re-reading harmless
(cam/replies/cursor.py: UIDs the server left out, folders renumbered).

A read first fetches a few header fields of every new message (`fetch_heads`) and ranks them
(cam/replies/ranking.py): a person's mail on our threads or from our leads is fetched first,
then automatic mail about them and delivery reports, each rank in batches of its own; the rest
after, in arrival (UID) order. The cursor owes every UID the first fetches jump
(`cursors.defer`), so each is read later in the same read or the next, never given up unless a
server leaves it out. Either way mail comes `BATCH` messages at a time: each batch is fetched,
classified and committed, and its cards handed on (`on_batch`) before the next is fetched, so
a flood of strangers' mail delays a genuine reply by one small read of heads.
Each message's text is classified within a budget (`CLASSIFY_CHARS`): a reply's own words fit
in it, and a crafted 120 KB one costs no more than a long reply. What a batch's storing does is
in cam/replies/storing.py.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.context import CycleContext
from cam.core.db import SessionFactory, unit_of_work
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import (
    Reply,
)
from cam.core.ports import GatewayError, InboxBatch, InboxReader
from cam.replies import cursor as cursors
from cam.replies import ranking
from cam.replies.actions import WORKDAYS
from cam.replies.event_payloads import RepliesDetected
from cam.replies.learning import Classify, LearningClassifier
from cam.replies.parser import ParsedReply, parse_reply
from cam.replies.storing import EXCERPT_CHARS, Item, MailboxRead, store_batch

log = logging.getLogger(__name__)

PHASE = "replies"
# Messages fetched, classified and stored per transaction, at most `MAX_BATCHES` per read;
# the heads of as many are ranked before any message is fetched.
BATCH = 50
MAX_BATCHES = 20
HEADS = BATCH * MAX_BATCHES
# The text of one message the classifier reads: the excerpt the team sees, and a bounded cost.
CLASSIFY_CHARS = EXCERPT_CHARS


def detect_replies(ctx: CycleContext) -> None:
    """Fetch the mail that arrived in each mailbox since its cursor, store and classify it."""
    readers = [(key, reader) for key, reader in ctx.gateways.keyed_inboxes() if reader.configured]
    if not readers:
        with unit_of_work(ctx.session_factory) as session:
            events.record(session, RepliesDetected(configured=False, replies=0), ctx.cycle_id)
        return
    now = ctx.clock()
    zone = ZoneInfo(ctx.config.timezone)
    classify = LearningClassifier(
        ctx.session_factory, ctx.config.reply_rules_file, zone
    ).for_moment(now)
    for key, reader in readers:
        read = read_mailbox(
            ctx.session_factory,
            reader,
            classify,
            now=now,
            zone=zone,
            workdays=ctx.config.safety_settings.send_window.weekdays,
            cycle_id=ctx.cycle_id,
            record_empty=True,
            key=key,
        )
        if read.failed is not None:
            ctx.report.error(PHASE, read.failed, item=read.mailbox)
        for message, item in read.errors:
            ctx.report.error(PHASE, message, item=item)
        ctx.report.replies_detected += read.outcome.stored
        ctx.report.hot_leads_detected += read.outcome.hot
        ctx.report.unverified_notices += read.outcome.unverified
        # Phase 5 finds these leads already escalated: the approvals are counted here.
        ctx.report.approvals_requested += read.outcome.approvals


def read_mailbox(
    session_factory: SessionFactory,
    reader: InboxReader,
    classifier: Classify,
    *,
    now: datetime,
    zone: ZoneInfo,
    workdays: frozenset[int] = WORKDAYS,
    cycle_id: int | None = None,
    record_empty: bool = False,
    on_batch: Callable[[MailboxRead], object] = lambda _read: None,
    key: str = DEFAULT_KEY,
) -> MailboxRead:
    """Read the mail after the stored cursor, store it in batches, act on the leads.

    The one path of phase 4 and of the reply watcher: the mail ranked first (see the module
    docstring), then the rest; each batch of `BATCH` messages is one transaction (replies,
    lead changes, cards, escalations and the cursor together), and `on_batch` runs after each
    one that stored something.
    """
    mailbox = reader.name
    read = MailboxRead(mailbox, key)
    with unit_of_work(session_factory) as session:
        first = cursors.read(session, mailbox)
    try:
        heads = reader.fetch_heads(
            first.uidvalidity, first.last_uid, retry=first.pending, limit=HEADS
        )
    except GatewayError as exc:
        read.failed = str(exc)
        return read
    ahead = _rank(session_factory, mailbox, heads, was=first.last_uid)
    # Each UID is asked for once a read: a server that leaves one out counts one read.
    asked: set[int] = set()
    # Nothing listed: no second connection.
    for number in range(MAX_BATCHES if heads.messages or heads.missing else 0):
        with unit_of_work(session_factory) as session:
            at = cursors.read(session, mailbox)
        chosen = ahead[number] if number < len(ahead) else []
        # The chosen are owed by now (`_rank` deferred them): fetched as any owed UID is.
        retry = chosen or [uid for uid in at.pending if uid not in asked]
        try:
            batch = reader.fetch_since(
                at.uidvalidity, at.last_uid, retry=retry, limit=len(chosen) or BATCH
            )
        except GatewayError as exc:
            read.failed = str(exc)
            if not read.fetched:
                return read
            break  # what earlier batches stored is committed: counted in the event below
        asked.update([*(m.uid for m in batch.messages), *batch.missing])
        if _read_batch(session_factory, read, batch, classifier, at, now, zone, workdays):
            on_batch(read)
        if not chosen and not batch.more:
            break
    if read.fetched or record_empty:
        changed = bool(first.uidvalidity) and first.uidvalidity != heads.uidvalidity
        _record(session_factory, read, changed, sum(map(len, ahead)), cycle_id)
    return read


def _record(
    session_factory: SessionFactory,
    read: MailboxRead,
    uidvalidity_changed: bool,
    fetched_first: int,
    cycle_id: int | None,
) -> None:
    """Record what one read of a mailbox did."""
    with unit_of_work(session_factory) as session:
        events.record(
            session,
            RepliesDetected(
                mailbox=read.mailbox,
                uidvalidity_changed=uidvalidity_changed,
                fetched=read.fetched,
                fetched_first=fetched_first,
                replies=read.outcome.stored,
                by_class=dict(read.outcome.by_class),
                hot=read.outcome.hot,
                unmatched=read.outcome.unmatched,
                bounced=read.outcome.bounced,
                unsubscribed=read.outcome.unsubscribed,
                unverified_notices=read.outcome.unverified,
                postponed=read.outcome.postponed,
                cards=read.outcome.cards,
            ),
            cycle_id,
        )


def _rank(
    session_factory: SessionFactory, mailbox: str, heads: InboxBatch, *, was: int
) -> list[list[int]]:
    """Return the batches to fetch first, in order, having owed every UID listed up to the
    last of them.

    A folder renumbered (`heads.reset`) has its cursor started again first, so the fetches
    that follow read it from the start.
    """
    with unit_of_work(session_factory) as session:
        if heads.reset:
            cursors.restart(session, mailbox, heads.uidvalidity, was=was)
        groups = ranking.first(session, heads.messages)
        if any(groups):
            top = max(uid for group in groups for uid in group)
            listed = [*(m.uid for m in heads.messages), *heads.missing]
            cursors.defer(session, mailbox, heads.uidvalidity, [u for u in listed if u <= top])
    return [group[at : at + BATCH] for group in groups for at in range(0, len(group), BATCH)]


def _read_batch(
    session_factory: SessionFactory,
    read: MailboxRead,
    batch: InboxBatch,
    classifier: Classify,
    at: cursors.Cursor,
    now: datetime,
    zone: ZoneInfo,
    workdays: frozenset[int],
) -> int:
    """Classify and store one fetched batch, then settle the cursor; return replies stored."""
    if batch.reset:
        with unit_of_work(session_factory) as session:
            cursors.restart(session, read.mailbox, batch.uidvalidity, was=at.last_uid)
    messages = sorted(batch.messages, key=lambda m: m.uid)
    read.fetched += len(messages)
    parsed = [(m, parse_reply(m.raw)) for m in messages]
    with unit_of_work(session_factory) as session:
        known = _known(session, [p.message_id for _m, p in parsed])
    # Read again (a renumbered folder, a retried UID): not classified, only passed.
    passed = [m.uid for m, p in parsed if p.message_id in known]
    items = [
        Item(m.uid, p, classifier(_within_budget(p)), m.received_at)
        for m, p in parsed
        if p.message_id not in known
    ]
    outcome = store_batch(session_factory, read, batch.uidvalidity, items, now, zone, workdays)
    read.outcome.add(outcome)
    with unit_of_work(session_factory) as session:
        cursors.settle(
            session, read.mailbox, batch.uidvalidity, passed=passed, missing=batch.missing
        )
    return outcome.stored


def _known(session: Session, message_ids: Sequence[str]) -> set[str]:
    """The Message-IDs among these that are stored already."""
    if not message_ids:
        return set()
    query = select(Reply.message_id).where(Reply.message_id.in_(set(message_ids)))
    return set(session.scalars(query))


def _within_budget(parsed: ParsedReply) -> ParsedReply:
    """The reply as the classifier reads it: at most `CLASSIFY_CHARS` of its text."""
    if len(parsed.text) <= CLASSIFY_CHARS and len(parsed.new_text) <= CLASSIFY_CHARS:
        return parsed
    return dataclasses.replace(
        parsed, text=parsed.text[:CLASSIFY_CHARS], new_text=parsed.new_text[:CLASSIFY_CHARS]
    )
