"""The mailbox cursor against a real IMAP server (pymap) that leaves UIDs out of its FETCH
answers or is renumbered under the same UIDVALIDITY: no reply is lost, none stored twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Event, MailboxCursor, Reply
from cam.core.settings import DATA_DIR
from cam.gateways.imap import ImapInboxReader
from cam.replies.cursor import MISSING_READS
from cam.replies.event_payloads import MailboxReset, ReplyUidGivenUp
from cam.replies.learning import classifier_for
from cam.replies.reading import read_mailbox
from cam.replies.storing import MailboxRead
from tests.gateways.imap_server import ImapServer
from tests.replies.prospects import add_prospect, reply

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
PEOPLE = ["ada@acme.example", "bob@globex.example", "cy@initech.example"]


def _read(sessions: SessionFactory, reader: ImapInboxReader) -> MailboxRead:
    classify = classifier_for(sessions, DATA_DIR / "replies.toml", ZONE)(NOW)
    read = read_mailbox(sessions, reader, classify, now=NOW, zone=ZONE)
    assert read.failed is None and read.errors == []
    return read


def _stored(sessions: SessionFactory) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(
            select(Reply.from_address, func.count()).group_by(Reply.from_address)
        )
        return {address: count for address, count in rows}


def _events(sessions: SessionFactory, name: str) -> list[dict[str, Any]]:
    with sessions() as session:
        found = session.scalars(select(Event).where(Event.name == name).order_by(Event.id))
        return [dict(e.details) for e in found]


def _cursor(sessions: SessionFactory) -> MailboxCursor:
    with sessions() as session:
        return session.scalars(select(MailboxCursor)).one()


def _setup(sessions: SessionFactory, server: ImapServer, **settings: Any) -> ImapInboxReader:
    with unit_of_work(sessions) as session:
        for email in PEOPLE:
            add_prospect(session, email)
    return ImapInboxReader(server.settings(**settings))


def test_a_uid_left_out_of_a_fetch_answer_is_read_next_time(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    reader = _setup(sessions, imap_server)
    imap_server.append_many(reply(email, "Sounds good, call me on Tuesday.") for email in PEOPLE)
    imap_server.omitted.add(2)

    first = _read(sessions, reader)
    assert (first.fetched, first.outcome.stored) == (2, 2)
    assert _stored(sessions) == {PEOPLE[0]: 1, PEOPLE[2]: 1}
    cursor = _cursor(sessions)
    assert (cursor.last_uid, cursor.pending) == (3, {"2": 1})

    imap_server.omitted.clear()
    second = _read(sessions, reader)
    assert second.outcome.stored == 1
    assert _stored(sessions) == dict.fromkeys(PEOPLE, 1)
    assert _cursor(sessions).pending == {}
    assert _read(sessions, reader).fetched == 0
    assert _events(sessions, ReplyUidGivenUp.name) == []


def test_a_uid_never_fetched_is_given_up_after_a_few_reads_with_an_event(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    reader = _setup(sessions, imap_server)
    imap_server.append_many(reply(email, "Tell me more.") for email in PEOPLE[:2])
    imap_server.omitted.add(1)
    for _ in range(MISSING_READS):
        _read(sessions, reader)
    [given_up] = _events(sessions, ReplyUidGivenUp.name)
    assert (given_up["uid"], given_up["reads"]) == (1, MISSING_READS)
    assert given_up["mailbox"] == reader.name
    assert _cursor(sessions).pending == {}

    # Not asked for again; later mail comes in as ever.
    imap_server.append(reply(PEOPLE[2], "Yes please."))
    assert _read(sessions, reader).fetched == 1
    assert _stored(sessions) == {PEOPLE[1]: 1, PEOPLE[2]: 1}
    assert len(_events(sessions, ReplyUidGivenUp.name)) == 1


def test_a_folder_renumbered_under_the_same_uidvalidity_is_read_again_without_duplicates(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    folder = "Sales Replies"
    imap_server.create(folder)
    reader = _setup(sessions, imap_server, CAM_IMAP_FOLDER=folder)
    before = [reply(email, "Interested, send the deck.") for email in PEOPLE[:2]]
    imap_server.append_many([*before, reply("someone@else.example", "Hello")], folder=folder)
    assert _read(sessions, reader).outcome.stored == 3
    was = _cursor(sessions)

    # The server is restored: the old mail back, a new reply, UIDs from 1 again.
    imap_server.renumber(folder)
    imap_server.append_many([before[0], reply(PEOPLE[2], "Yes, Tuesday works.")], folder=folder)
    again = _read(sessions, reader)

    assert _cursor(sessions).uidvalidity == was.uidvalidity
    assert again.outcome.stored == 1
    assert _stored(sessions) == {**dict.fromkeys(PEOPLE, 1), "someone@else.example": 1}
    [reset] = _events(sessions, MailboxReset.name)
    assert reset == {"mailbox": reader.name, "uidvalidity": was.uidvalidity, "cursor_was": 3}
    assert _cursor(sessions).last_uid == 2
    assert _read(sessions, reader).fetched == 0
