"""The reply watcher against a real IMAP server on loopback, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import trustme
from sqlalchemy import select

from cam.core import state
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    JobLease,
    Lead,
    LeadStatus,
    MailboxWatch,
    Notification,
    NotificationTopic,
    Reply,
    ReplyClass,
    Suppression,
    WatchMode,
)
from cam.core.settings import DATA_DIR
from cam.gateways.imap import ImapInboxReader
from cam.replies.learning import classifier_for
from cam.replies.watcher import LEASE, ReplyWatcher
from tests.gateways.imap_server import ImapServer, running_imap_server
from tests.replies.prospects import add_prospect, reply, wait_for

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")


@contextmanager
def watching(
    sessions: SessionFactory, server: ImapServer, instance: str = "one", **options: object
) -> Iterator[ReplyWatcher]:
    reader = ImapInboxReader(server.settings())
    watcher = ReplyWatcher(
        session_factory=sessions,
        reader=reader,
        idle=reader.idle,
        classifier=classifier_for(sessions, DATA_DIR / "replies.toml", ZONE),
        zone=ZONE,
        instance=instance,
        clock=lambda: NOW,
        backoff_seconds=0.05,
        max_backoff_seconds=0.5,
        **options,  # type: ignore[arg-type]
    )
    watcher.start()
    try:
        yield watcher
    finally:
        watcher.stop()


def _prospect(sessions: SessionFactory, email: str) -> int:
    with unit_of_work(sessions) as session:
        return add_prospect(session, email)


def _watch(sessions: SessionFactory) -> MailboxWatch | None:
    with sessions() as session:
        return session.scalars(select(MailboxWatch)).first()


def _recovered(sessions: SessionFactory) -> MailboxWatch | None:
    watch = _watch(sessions)
    return watch if watch is not None and watch.last_error is None else None


def _reply_of(sessions: SessionFactory, email: str) -> Reply | None:
    with sessions() as session:
        return session.scalars(select(Reply).where(Reply.from_address == email)).first()


def _cards(sessions: SessionFactory) -> list[Notification]:
    with sessions() as session:
        query = select(Notification).where(Notification.topic == NotificationTopic.reply_card)
        return list(session.scalars(query.order_by(Notification.id)))


def test_with_idle_a_reply_is_stored_and_carded_as_it_arrives(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    lead_id = _prospect(sessions, "dana@northwind.example")
    # Polling would take an hour: only IDLE can bring it in time.
    with watching(sessions, imap_server, poll_seconds=3600):
        watch = wait_for(lambda: _watch(sessions))
        assert watch.mode is WatchMode.idle and watch.last_error is None
        imap_server.append(
            reply("dana@northwind.example", "Sounds good. Can we book a call on Tuesday?")
        )
        stored = wait_for(lambda: _reply_of(sessions, "dana@northwind.example"), timeout=10)
        [card] = wait_for(lambda: _cards(sessions))
    assert stored.lead_id == lead_id and stored.classification is ReplyClass.interested
    assert card.payload == {"reply_id": stored.id, "lead_id": lead_id}
    with sessions() as session:
        assert session.get_one(Lead, lead_id).status is LeadStatus.hot


def test_without_idle_the_watcher_polls(sessions: SessionFactory, imap_ca) -> None:
    _prospect(sessions, "li@contoso.example")
    with (
        running_imap_server(*imap_ca, implicit_tls=False, idle=False) as server,
        watching(sessions, server, poll_seconds=0.2),
    ):
        server.append(reply("li@contoso.example", "Thanks, but we already have a provider."))
        stored = wait_for(lambda: _reply_of(sessions, "li@contoso.example"))
        watch = wait_for(lambda: _watch(sessions))
    assert watch.mode is WatchMode.polling
    assert stored.classification is ReplyClass.not_interested


def test_the_watcher_survives_a_restart_of_the_server(
    sessions: SessionFactory, imap_ca: tuple[trustme.CA, Path]
) -> None:
    for email in ("one@fabrikam.example", "two@fabrikam.example"):
        _prospect(sessions, email)
    first = running_imap_server(*imap_ca, implicit_tls=False)
    server = first.__enter__()
    stopped = False
    try:
        with watching(sessions, server, poll_seconds=3600):
            server.append(reply("one@fabrikam.example", "Yes please, send me the pricing."))
            wait_for(lambda: _reply_of(sessions, "one@fabrikam.example"))
            stopped = first.__exit__(None, None, None) or True
            # Back on the same address; the mailbox kept its UIDVALIDITY, its UIDs go on at 50.
            with running_imap_server(
                *imap_ca, implicit_tls=False, port=server.port, first_uid=50
            ) as again:
                again.append(reply("two@fabrikam.example", "Happy to chat, how about Friday?"))
                wait_for(lambda: _reply_of(sessions, "two@fabrikam.example"), timeout=30)
                # The read that stored it then notes the mailbox as read, clearing the error.
                watch = wait_for(lambda: _recovered(sessions))
    finally:
        if not stopped:
            first.__exit__(None, None, None)
    assert watch.mode is WatchMode.idle and watch.last_error is None


def test_a_paused_team_still_honours_an_unsubscribe_reply(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    lead_id = _prospect(sessions, "sam@adatum.example")
    with unit_of_work(sessions) as session:
        state.set_paused(session, paused=True, by="UADMIN", now=NOW)
    with watching(sessions, imap_server, poll_seconds=3600):
        imap_server.append(reply("sam@adatum.example", "Please remove me from your mailing list."))
        wait_for(lambda: _reply_of(sessions, "sam@adatum.example"))
    with sessions() as session:
        assert session.get_one(Lead, lead_id).status is LeadStatus.unsubscribed
        assert session.scalars(select(Suppression.value)).all() == ["sam@adatum.example"]


def test_one_instance_watches_and_another_takes_over_when_it_stops(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    for email in ("a@tailspin.example", "b@tailspin.example"):
        _prospect(sessions, email)
    ttl = {"lease_ttl": timedelta(seconds=6), "poll_seconds": 3600}
    with watching(sessions, imap_server, "first", **ttl):
        wait_for(lambda: _watch(sessions))
        with watching(sessions, imap_server, "second", **ttl):
            imap_server.append(reply("a@tailspin.example", "Interesting, let's talk next week."))
            wait_for(lambda: _reply_of(sessions, "a@tailspin.example"))
            assert _holder(sessions) == "first"
        # "first" stops: "second" takes the lease and reads what comes next.
    with watching(sessions, imap_server, "second", **ttl):
        imap_server.append(reply("b@tailspin.example", "Could you send a proposal?", n=2))
        wait_for(lambda: _reply_of(sessions, "b@tailspin.example"))
        assert _holder(sessions) == "second"


def _holder(sessions: SessionFactory) -> str | None:
    with sessions() as session:
        lease = session.get(JobLease, LEASE)
        return lease.holder if lease is not None else None
