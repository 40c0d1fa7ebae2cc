"""The order a read takes new mail in, against a real IMAP server (pymap): replies to us and
mail from our leads before strangers' mail, and the cursor exact through it: no message lost
or stored twice, a UID jumped owed until it is stored, given up only if the server leaves it
out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Answer, Event, MailboxCursor, Reply
from cam.core.settings import DATA_DIR
from cam.gateways.imap import ImapInboxReader
from cam.replies import ranking
from cam.replies.cursor import MISSING_READS
from cam.replies.event_payloads import MailboxReset, RepliesDetected, ReplyUidGivenUp
from cam.replies.learning import classifier_for
from cam.replies.reading import BATCH, read_mailbox
from cam.replies.storing import MailboxRead
from tests.gateways.imap_server import ImapServer
from tests.replies.prospects import add_prospect, first_message_id, reply
from tests.replies.reply_corpus import raw

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
LEAD = "dana@northwind.example"
YES = "Yes, I'd like a demo. Does Tuesday at 10 work for you?"


class Died(Exception):
    """The process stopped right after a commit."""


def stranger(n: int, headers: str = "") -> bytes:
    """Mail from someone we never wrote to."""
    return (
        f"From: buyer{n}@spam.example\r\nTo: ana@acme.example\r\nSubject: Re: offer {n}\r\n"
        f"Message-ID: <s{n}@spam.example>\r\n{headers}Date: Mon, 30 Nov 2026 08:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nSend me your prices for the quarter.\r\n"
    ).encode()


def _read(sessions: SessionFactory, reader: ImapInboxReader, *, die: bool = False) -> list[Any]:
    """Read once; return the senders each commit stored, in order (`die`: stop after one)."""
    with sessions() as session:
        before = session.scalar(select(func.max(Reply.id))) or 0
    commits: list[list[str]] = []

    def on_batch(_read: MailboxRead) -> None:
        with sessions() as session:
            query = select(Reply.from_address).where(Reply.id > before).order_by(Reply.id)
            stored = list(session.scalars(query))
        commits.append(stored[sum(map(len, commits)) :])
        if die:
            raise Died

    classify = classifier_for(sessions, DATA_DIR / "replies.toml", ZONE)(NOW)
    try:
        read = read_mailbox(sessions, reader, classify, now=NOW, zone=ZONE, on_batch=on_batch)
    except Died:
        return commits
    assert read.failed is None and read.errors == []
    return commits


def _stored(sessions: SessionFactory) -> dict[str, int]:
    """How many times each Message-ID is stored."""
    with sessions() as session:
        rows = session.execute(select(Reply.message_id, func.count()).group_by(Reply.message_id))
        return {str(mid): count for mid, count in rows}


def _cursor(sessions: SessionFactory) -> tuple[int, int, dict[str, int]]:
    with sessions() as session:
        cursor = session.scalars(select(MailboxCursor)).one()
        return cursor.uidvalidity, cursor.last_uid, dict(cursor.pending)


def _events(sessions: SessionFactory, name: str) -> list[dict[str, Any]]:
    with sessions() as session:
        found = session.scalars(select(Event).where(Event.name == name).order_by(Event.id))
        return [dict(e.details) for e in found]


def _reader(sessions: SessionFactory, server: ImapServer, **settings: Any) -> ImapInboxReader:
    with unit_of_work(sessions) as session:
        add_prospect(session, LEAD)
    return ImapInboxReader(server.settings(**settings))


def test_a_reply_behind_a_flood_of_strangers_is_stored_by_the_first_commit(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    reader = _reader(sessions, imap_server)
    flood = BATCH + 5  # in arrival order the reply would wait for a second batch
    daemons = ["mailer-daemon@mx1.example", "mailer-daemon@mx2.example"]
    notices = [
        stranger(n).replace(f"buyer{n}@spam.example".encode(), a.encode())
        for n, a in enumerate(daemons, start=flood)
    ]
    imap_server.append_many([*(stranger(n) for n in range(flood)), *notices, reply(LEAD, YES)])

    commits = _read(sessions, reader)

    # The reply alone (a batch never waits for mail of a lower rank), then the notices.
    assert commits[:2] == [[LEAD], daemons]
    assert [len(c) for c in commits[2:]] == [BATCH, 5]
    assert set(_stored(sessions).values()) == {1} and len(_stored(sessions)) == flood + 3
    assert _cursor(sessions)[1:] == (flood + 3, {})
    [detected] = _events(sessions, RepliesDetected.name)
    assert (detected["fetched"], detected["fetched_first"]) == (flood + 3, 3)


def test_mail_jumped_stays_owed_through_reads_that_stop_and_is_stored_once(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    reader = _reader(sessions, imap_server)
    imap_server.append_many([stranger(1), stranger(2), stranger(3), reply(LEAD, YES)])
    assert _read(sessions, reader, die=True) == [[LEAD]]
    owed = {"1": 0, "2": 0, "3": 0}
    assert _cursor(sessions)[1:] == (4, owed)

    # More reads than a missing UID is asked for, each stopped after its first commit (a new
    # reply from the lead): the strangers' mail is never reached, never counted, never dropped.
    for n in range(2, MISSING_READS + 3):
        imap_server.append(reply(LEAD, "And Thursday?", n=n))
        assert _read(sessions, reader, die=True) == [[LEAD]]
        assert _cursor(sessions)[1:] == (n + 3, owed)

    assert _read(sessions, reader) == [[f"buyer{n}@spam.example" for n in (1, 2, 3)]]
    assert set(_stored(sessions).values()) == {1} and len(_stored(sessions)) == MISSING_READS + 5
    assert _cursor(sessions)[2] == {}
    assert _events(sessions, ReplyUidGivenUp.name) == []
    assert _read(sessions, reader) == []


def test_a_jumped_uid_the_server_leaves_out_counts_as_missing(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    reader = _reader(sessions, imap_server)
    imap_server.append_many([stranger(1), stranger(2), stranger(3), reply(LEAD, YES)])
    imap_server.omitted.add(2)

    assert _read(sessions, reader) == [[LEAD], ["buyer1@spam.example", "buyer3@spam.example"]]
    assert _cursor(sessions)[1:] == (4, {"2": 1})
    for _ in range(MISSING_READS - 1):
        assert _read(sessions, reader) == []
    [given_up] = _events(sessions, ReplyUidGivenUp.name)
    assert (given_up["uid"], given_up["reads"]) == (2, MISSING_READS)
    assert _cursor(sessions)[1:] == (4, {})
    assert "<s2@spam.example>" not in _stored(sessions)


def test_the_order_holds_after_a_new_uidvalidity_and_a_renumbered_folder(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    folder = "Sales Replies"
    imap_server.create(folder)
    reader = _reader(sessions, imap_server, CAM_IMAP_FOLDER=folder)
    imap_server.append_many([stranger(1), stranger(2), reply(LEAD, YES)], folder=folder)
    assert _read(sessions, reader)[0] == [LEAD]
    before = _cursor(sessions)

    imap_server.recreate(folder)
    imap_server.append_many([stranger(1), stranger(3), reply(LEAD, YES, n=2)], folder=folder)
    assert _read(sessions, reader) == [[LEAD], ["buyer3@spam.example"]]
    uidvalidity, last_uid, pending = _cursor(sessions)
    assert uidvalidity != before[0] and (last_uid, pending) == (3, {})
    assert _events(sessions, RepliesDetected.name)[-1]["uidvalidity_changed"] is True

    imap_server.renumber(folder)
    imap_server.append_many([stranger(4), reply(LEAD, YES, n=3)], folder=folder)
    assert _read(sessions, reader) == [[LEAD], ["buyer4@spam.example"]]
    assert _cursor(sessions) == (uidvalidity, 2, {})
    [reset] = _events(sessions, MailboxReset.name)
    assert (reset["uidvalidity"], reset["cursor_was"]) == (uidvalidity, 3)
    assert set(_stored(sessions).values()) == {1} and len(_stored(sessions)) == 7


def test_replies_to_us_come_first_then_notices_then_nothing_else(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    reader = _reader(sessions, imap_server)
    colleague = "eli@northwind.example"  # not a lead: answers in the thread of our answer
    with unit_of_work(sessions) as session:
        earlier = Reply(message_id="<r0@northwind.example>", from_address=LEAD)
        session.add(earlier)
        session.flush()
        session.add(
            Answer(
                request_key="V1",
                reply_id=earlier.id,
                mailbox="default",
                to_address=LEAD,
                message_id="<answer.1@acme.example>",
                answered_by="U1",
                claimed_by="one",
            )
        )
    ooo = f"Auto-Submitted: auto-replied\r\nIn-Reply-To: {first_message_id(LEAD)}\r\n"
    mail = [
        stranger(1),
        raw("bounce_postfix_dsn.eml"),
        stranger(2, "References: <x@y.example> <answer.1@acme.example>\r\n").replace(
            b"buyer2@spam.example", colleague.encode()
        ),
        stranger(3, ooo).replace(b"buyer3@spam.example", LEAD.encode()),
        stranger(4).replace(b"buyer4@spam.example", LEAD.upper().encode()),
        stranger(5, f"In-Reply-To: <not.ours@acme.example>\r\nReferences: {'<z@z> ' * 300}\r\n"),
        raw("bounce_qmail_freetext.eml"),
        reply(LEAD, YES),
    ]
    imap_server.append_many(mail)
    heads = reader.fetch_heads(0, 0)
    uids = [m.uid for m in heads.messages]
    with unit_of_work(sessions) as session:
        first = ranking.first(session, heads.messages)
    assert first == [[uids[n] for n in (2, 4, 7)], [uids[n] for n in (1, 3, 6)]]
