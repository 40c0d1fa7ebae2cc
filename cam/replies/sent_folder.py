"""Answers a rep sent from their own mail app, seen in the mailbox's Sent folder.

Speed to lead counts the first answer however it went out. With `CAM_IMAP_SENT_FOLDER` set,
each mailbox's Sent folder is read after a cursor of its own (as the inbox is), and a message
whose `In-Reply-To` names a stored reply marks that reply answered at the time the server
filed it (INTERNALDATE, else its Date). Read-only; nothing else about the message is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Reply
from cam.core.ports import InboxReader
from cam.replies import cursor as cursors
from cam.replies.parser import parse_reply


def read_sent(session_factory: SessionFactory, reader: InboxReader) -> int:
    """Mark the replies answered from this Sent folder since its cursor; return how many.

    Raise `GatewayError` when the folder cannot be read (the cursor stays where it was).
    """
    with unit_of_work(session_factory) as session:
        at = cursors.read(session, reader.name)
    batch = reader.fetch_since(at.uidvalidity, at.last_uid)
    answered: list[tuple[str, datetime]] = []
    for message in batch.messages:
        parsed = parse_reply(message.raw)
        sent_at = message.received_at or parsed.date
        if sent_at is not None:
            answered.extend((parent, sent_at) for parent in parsed.in_reply_to)
    marked = 0
    with unit_of_work(session_factory) as session:
        # Read twice by two instances, a message changes nothing the second time.
        cursor = cursors.locked(session, reader.name)
        cursors.advance(cursor, batch.uidvalidity, [m.uid for m in batch.messages])
        for parent, sent_at in answered:
            result = session.execute(
                update(Reply)
                .where(Reply.message_id == parent, Reply.answered_at.is_(None))
                .values(answered_at=sent_at)
                .execution_options(synchronize_session=False)
            )
            marked += int(getattr(result, "rowcount", 0) or 0)
    return marked
