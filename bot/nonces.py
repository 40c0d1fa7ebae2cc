"""The signatures already served: this instance's in memory, every instance's in the database.

A nonce is kept as long as Bolt would accept its timestamp, plus a margin for clock skew.
Memory answers first, with no I/O: a replay sent to the instance that served the original is
refused at once. The database is what the other instances see. A request that changes
something waits for its nonce's insert (under a unique key, so of two instances racing with
the same signature one wins); a request that changes nothing is answered first and its nonce
stored just after by one background writer, which gathers what arrives within a tenth of a
second into one write. Until that write commits (a tenth of a second and a write's time, longer
while a cycle holds SQLite's lock), another instance would answer a replay of it once more: the
same read-only answer, nothing changed. A crash in that moment forgets those nonces too;
nothing else is ever forgotten. A read-only request's lookup in the table is answered from
memory too, while the feed of every instance's stored nonces is live (bot/nonce_feed.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import SQLAlchemyError

from bot.driver_connection import autocommit_connection
from bot.nonce_feed import NonceFeed, announce, forget_expired
from bot.nonce_writes import PER_STATEMENT, QuickStore
from cam.core import bulk
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import RequestNonce

log = logging.getLogger(__name__)

# Bolt accepts a timestamp this old; a nonce is kept as long, plus a margin for clock skew.
REPLAY_WINDOW = timedelta(minutes=5)
CLOCK_MARGIN = timedelta(minutes=1)
KEPT = REPLAY_WINDOW + CLOCK_MARGIN
NONCE_LENGTH = 100
# The background writer ends after this long without work; the next nonce starts it again.
WRITER_IDLE_SECONDS = 5.0
# It waits this long after a nonce arrives, so requests that come together cost one write
# (a write per request cost more CPU than the request's own answer). The replay window it
# leaves to other instances is this long, for read-only requests only.
GATHER_SECONDS = 0.1
# An instance deletes expired nonces with its writes at most this often.
PRUNE_EVERY = timedelta(minutes=1)


def store(
    session_factory: SessionFactory, nonces: Sequence[str], now: datetime, *, prune: bool = True
) -> set[str]:
    """Insert `nonces` (pruning expired ones if `prune`); return those no instance had
    stored before."""
    with unit_of_work(session_factory) as session:
        if bulk.is_postgresql(session):
            # No wait for the WAL flush: a crash may forget the last moment's nonces, never
            # store a wrong one (PostgreSQL's asynchronous commit). SQLite runs WAL with
            # synchronous=NORMAL (cam/core/db.py): no fsync at commit either.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        if prune:
            session.execute(delete(RequestNonce).where(RequestNonce.expires_at < now))
        rows = [{"nonce": nonce[:NONCE_LENGTH], "expires_at": now + KEPT} for nonce in nonces]
        stored = bulk.insert_ignoring(session, RequestNonce, rows, returning=[RequestNonce.nonce])
        if stored and bulk.is_postgresql(session):
            announce(session, [nonce for (nonce,) in stored])
        return {nonce for (nonce,) in stored}


def first_use(
    session_factory: SessionFactory, nonce: str, now: datetime, *, prune: bool = True
) -> bool:
    """Record `nonce`; True the first time, False when any instance recorded it before."""
    return bool(store(session_factory, [nonce], now, prune=prune))


class Nonces:
    """One instance's memory of served signatures, and its writer to the shared table."""

    def __init__(self, session_factory: SessionFactory, clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        # nonce -> when it may be forgotten; insertion order is (nearly) expiry order.
        self._seen: dict[str, datetime] = {}
        self._pending: list[str] = []
        self._writer: threading.Thread | None = None
        self._pruned_at: datetime | None = None
        engine = session_factory.kw["bind"]
        assert isinstance(engine, Engine)
        self._reader = _NonceReader(engine)
        self._feed = NonceFeed(engine, clock, KEPT)
        self._quick = QuickStore(engine)

    def first_here(self, nonce: str, now: datetime) -> bool:
        """Remember `nonce`; True unless this instance served it within the window."""
        nonce = nonce[:NONCE_LENGTH]
        with self._lock:
            forget_expired(self._seen, now)
            if nonce in self._seen:
                return False
            self._seen[nonce] = now + KEPT
            return True

    def first_anywhere(self, nonce: str, now: datetime) -> bool:
        """`first_use` in the shared table, waited for; True when the database cannot record
        it: whatever a replay could change is stored in that same database, so nothing can
        change; `/cam status` still answers from memory meanwhile."""
        try:
            return first_use(self._sessions, nonce, now, prune=self._prune_due(now))
        except SQLAlchemyError as exc:
            log.warning("replay check skipped: the database cannot be written (%s)", _name(exc))
            return True

    def seen_anywhere(self, nonce: str) -> bool:
        """Tell whether any instance stored `nonce`: from the feed's memory while it is live
        (bot/nonce_feed.py), else from the table (False when it cannot answer)."""
        nonce = nonce[:NONCE_LENGTH]
        known = self._feed.knows(nonce)
        return self._reader.has(nonce) if known is None else known

    def store_later(self, nonce: str) -> None:
        """Queue `nonce` for the shared table; the background writer inserts it shortly."""
        with self._work:
            self._pending.append(nonce)
            self._work.notify()
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write, name="cam-nonce-writer", daemon=True
                )
                self._writer.start()

    def _write(self) -> None:
        while True:
            with self._work:
                if not self._work.wait_for(lambda: bool(self._pending), WRITER_IDLE_SECONDS):
                    self._writer = None
                    self._quick.close()
                    return
            time.sleep(GATHER_SECONDS)
            with self._work:
                batch, self._pending = self._pending, []
            try:
                stored = self._store(batch, self._clock())
            except Exception as exc:  # any driver's error: these nonces stay this instance's
                log.warning("could not store %d nonces (%s)", len(batch), _name(exc))
                continue
            if stored < len(batch):
                log.warning(
                    "answered %d replayed read-only requests another instance had served",
                    len(batch) - stored,
                )

    def _store(self, batch: list[str], now: datetime) -> int:
        """Store `batch` (bot/nonce_writes.py); return how many were new."""
        if self._prune_due(now):
            store(self._sessions, [], now)
        batch = [nonce[:NONCE_LENGTH] for nonce in batch]
        return sum(
            self._quick.store(batch[start : start + PER_STATEMENT], now + KEPT)
            for start in range(0, len(batch), PER_STATEMENT)
        )

    def _prune_due(self, now: datetime) -> bool:
        """Tell whether to delete expired nonces with this write (once a `PRUNE_EVERY`)."""
        with self._lock:
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
                return False
            self._pruned_at = now
            return True


class _NonceReader:
    """Look nonces up on plain driver connections of its own, in autocommit.

    One indexed SELECT, without the session's machinery: no pool pre-ping round trip, no
    `BEGIN IMMEDIATE` queueing behind SQLite's writers (WAL readers never wait), no rollback
    on return. A tenth of the CPU of a session's read, which is what the ack's p99 is made of
    when requests arrive together. Connections are kept for reuse, one per concurrent caller.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._sql = f"SELECT 1 FROM {RequestNonce.__tablename__} WHERE nonce = {mark}"
        # A cursor per connection, reused: a new one per lookup cost psycopg a third more CPU.
        # The deque's append and pop need no lock of their own (a LifoQueue's did).
        self._idle: deque[Any] = deque()

    def has(self, nonce: str) -> bool:
        try:
            cursor = self._idle.pop()
        except IndexError:
            cursor = None
        try:
            if cursor is None:
                cursor = autocommit_connection(self._engine).cursor()
            found = cursor.execute(self._sql, (nonce,)).fetchone() is not None
        except Exception as exc:  # any driver's error: the check is skipped, never the request
            log.warning("replay check skipped: the database cannot be read (%s)", _name(exc))
            if cursor is not None:
                cursor.connection.close()
            return False
        self._idle.append(cursor)
        return found


def _name(exc: BaseException) -> str:
    return type(exc).__name__
