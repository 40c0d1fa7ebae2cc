"""A mailbox's cursor: the last UID read under its UIDVALIDITY, and the UIDs still owed.

The cursor moves past a UID only once its message is stored (or found already stored). A UID
the server left out of a FETCH answer stays in `pending` and is asked for again by the next
reads; after `MISSING_READS` reads without it the cursor gives up on it, with an event naming
it, so one broken message cannot be asked for forever. A read that fetches some mail ahead of
its turn first owes (`defer`) every listed UID it jumps: owed with no read counted, since no
server left it out, and never given up until a FETCH answer has gone without it. A folder
renumbered under the same UIDVALIDITY starts the cursor again from 0, with a warning event;
Message-IDs keep the replies read again from being stored twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import bulk, events
from cam.core.models import MailboxCursor
from cam.replies.event_payloads import MailboxReset, ReplyUidGivenUp

log = logging.getLogger(__name__)

# Reads that ask for a missing UID before the cursor gives up on it.
MISSING_READS = 3


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int
    # UIDs at or below `last_uid` not stored yet: left out by the server, or jumped.
    pending: tuple[int, ...] = ()


def read(session: Session, mailbox: str) -> Cursor:
    """Return the cursor of `mailbox`, creating its row if it has none."""
    row = {"mailbox": mailbox, "uidvalidity": 0, "last_uid": 0, "updated_at": datetime.now(UTC)}
    bulk.insert_ignoring(session, MailboxCursor, [row])
    cursor = session.scalars(select(MailboxCursor).where(MailboxCursor.mailbox == mailbox)).one()
    return Cursor(cursor.uidvalidity, cursor.last_uid, tuple(sorted(map(int, cursor.pending))))


def locked(session: Session, mailbox: str) -> MailboxCursor:
    """The cursor's row, locked until the transaction ends."""
    query = select(MailboxCursor).where(MailboxCursor.mailbox == mailbox).with_for_update()
    return session.scalars(query).one()


def owed(cursor: MailboxCursor, uidvalidity: int, uid: int) -> bool:
    """Tell whether the message `uid` is still to be stored (another instance may have)."""
    if cursor.uidvalidity != uidvalidity:
        return True
    return uid > cursor.last_uid or str(uid) in cursor.pending


def advance(cursor: MailboxCursor, uidvalidity: int, uids: Iterable[int]) -> None:
    """Move the cursor past `uids`, stored (or already stored) in this transaction."""
    done = list(uids)
    if cursor.uidvalidity != uidvalidity:
        cursor.uidvalidity, cursor.last_uid, cursor.pending = uidvalidity, 0, {}
    if cursor.pending:
        cursor.pending = {k: v for k, v in cursor.pending.items() if int(k) not in done}
    cursor.last_uid = max([cursor.last_uid, *done])


def defer(session: Session, mailbox: str, uidvalidity: int, uids: Iterable[int]) -> None:
    """Move `last_uid` up to the highest of `uids`, owing each of them not passed yet.

    Before a read fetches mail ahead of its turn: every UID the server listed up to there is
    owed (its count of reads left out at 0), so the messages jumped are read later, by this
    read or the next, and the ones fetched first pass as any owed UID does once stored.
    """
    listed = sorted(set(uids))
    if not listed:
        return
    cursor = locked(session, mailbox)
    if cursor.uidvalidity != uidvalidity:
        cursor.uidvalidity, cursor.last_uid, cursor.pending = uidvalidity, 0, {}
    jumped = {str(uid): 0 for uid in listed if uid > cursor.last_uid}
    # A UID owed already keeps its count of reads that went without it.
    cursor.pending = {**jumped, **cursor.pending}
    cursor.last_uid = max(cursor.last_uid, listed[-1])


def restart(session: Session, mailbox: str, uidvalidity: int, *, was: int) -> None:
    """Start the cursor again from 0: the folder was renumbered under the same UIDVALIDITY."""
    cursor = locked(session, mailbox)
    cursor.uidvalidity, cursor.last_uid, cursor.pending = uidvalidity, 0, {}
    log.warning("%s was renumbered from 1 (cursor was at UID %s): reading it again", mailbox, was)
    events.record(session, MailboxReset(mailbox=mailbox, uidvalidity=uidvalidity, cursor_was=was))


def settle(
    session: Session,
    mailbox: str,
    uidvalidity: int,
    *,
    passed: Iterable[int],
    missing: Iterable[int],
) -> None:
    """Once a batch is stored: move past the UIDs `passed` (stored before), and count a read
    that asked for `missing` and did not get them, giving up on each after a few.

    Runs after the batch's messages are stored, so the cursor passing these UIDs passes no
    message that was fetched but not yet stored.
    """
    cursor = locked(session, mailbox)
    advance(cursor, uidvalidity, passed)
    uids = sorted(set(missing))
    if not uids:
        return
    pending = dict(cursor.pending)
    for uid in uids:
        reads = int(pending.get(str(uid), 0)) + 1
        if reads < MISSING_READS:
            pending[str(uid)] = reads
            continue
        pending.pop(str(uid), None)
        log.error("%s: UID %s left out of %d FETCH answers: moving past it", mailbox, uid, reads)
        given_up = ReplyUidGivenUp(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, reads=reads)
        events.record(session, given_up)
    cursor.pending = pending
    cursor.last_uid = max(cursor.last_uid, uids[-1])
