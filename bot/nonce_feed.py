"""Every instance's stored nonces, in this instance's memory, as the database makes them known.

A read-only request is checked against the nonces every instance stored (bot/nonces.py). Read
from the table, that check is a round trip to PostgreSQL, or a query in the bot's own process
on SQLite, on every ack; under a burst of requests it was most of the ack's cost. So one
thread per instance keeps them in memory and the lookup becomes a dictionary's:

- on PostgreSQL the insert that stores nonces also announces them (`pg_notify`, sent at its
  commit) on a channel named after the schema, and the thread listens on a connection of its
  own, sending itself a marker every `MARKER_SECONDS`: live while one came back within
  `LIVE_SECONDS`;
- on SQLite, where writers take turns and a row's rowid follows commit order, the thread reads
  the rows past the last one it saw every `POLL_SECONDS`: live while a read succeeded within
  `LIVE_SECONDS`.

Memory answers only while the feed is live; otherwise (not started yet, the server restarted,
the connection lost) the caller reads the table as before. A nonce another instance committed
reaches memory a moment after its commit (PostgreSQL passes the notice at once; SQLite's is
read within `POLL_SECONDS`); a replay of a read-only request sent in that moment gets its
read-only answer again, as within the writer's gathering time. The thread starts with the first
request and ends after `IDLE_SECONDS` without one, so an idle bot holds no extra connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import Connection, Notify, sql
from sqlalchemy import Engine, Text, bindparam, func, select
from sqlalchemy.orm import Session

from bot.driver_connection import autocommit_connection
from cam.core.models import RequestNonce

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "cam_nonces_"
# A notice's payload holds at most 8,000 bytes: signatures are 67 characters ("v0=" + 64 hex).
PER_NOTICE = 100
MARKER_SECONDS = 0.3
POLL_SECONDS = 0.1
LIVE_SECONDS = 1.0
IDLE_SECONDS = 3.0


def announce(session: Session, nonces: Sequence[str]) -> None:
    """Have `nonces` announced on this schema's channel when `session` commits."""
    channel = func.concat(CHANNEL_PREFIX, func.current_schema())
    for start in range(0, len(nonces), PER_NOTICE):
        payload = ",".join(nonces[start : start + PER_NOTICE])
        session.execute(select(func.pg_notify(channel, bindparam("payload", payload, Text))))


def forget_expired(memory: dict[str, datetime], now: datetime) -> None:
    """Drop the nonces whose time is up from `memory` (nonce -> when it may be forgotten),
    oldest first: insertion order is (nearly) expiry order, so the first still kept ends it."""
    while memory:
        oldest = next(iter(memory))
        if memory[oldest] >= now:
            return
        del memory[oldest]


def feed_name(schema: str) -> str:
    """Name the feed's connection after the schema whose nonces it follows."""
    return f"cam nonce feed ({schema})"


class NonceFeed:
    """Memory of the nonces stored by any instance, fed by one connection of its own."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime], kept: timedelta) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._clock = clock
        self._kept = kept
        self._lock = threading.Lock()
        # nonce -> when it may be forgotten; insertion order is (nearly) expiry order.
        self._known: dict[str, datetime] = {}
        self._live_until = 0.0
        self._used_at = 0.0
        self._listener: threading.Thread | None = None

    def knows(self, nonce: str) -> bool | None:
        """Tell whether any instance stored `nonce`; None while the feed is not live."""
        now = time.monotonic()
        with self._lock:
            self._used_at = now
            if self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="cam-nonce-feed", daemon=True
                )
                self._listener.start()
            if now > self._live_until:
                return None
            return nonce in self._known

    def _listen(self) -> None:
        conn: Any = None
        try:
            conn = autocommit_connection(self._engine)
            if self._sqlite:
                self._poll(conn)
            else:
                self._follow(conn)
        except Exception as exc:  # any driver's error: memory stops answering, requests go on
            log.warning("nonce feed stopped: %s", type(exc).__name__)
        finally:
            if conn is not None:
                conn.close()
            with self._lock:
                self._listener = None
                self._live_until = 0.0
                self._known.clear()

    def _idle(self) -> bool:
        with self._lock:
            return time.monotonic() - self._used_at > IDLE_SECONDS

    def _follow(self, conn: Connection[Any]) -> None:
        """Learn PostgreSQL's notices, with a marker of our own to know the feed is live."""
        row = conn.execute("SELECT current_schema()").fetchone()
        assert row is not None
        schema = str(row[0])
        channel = CHANNEL_PREFIX + schema
        # What an admin sees in pg_stat_activity: which deployment's feed this connection is.
        conn.execute("SELECT set_config('application_name', %s, false)", (feed_name(schema),))
        # Notices that arrive while a query runs are kept by psycopg (3.3) for the next
        # `notifies()`: none is lost to the marker's query or the table's.
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        # Listening first, then the table: a nonce committed in between is in one or both.
        stored = conn.execute(
            sql.SQL("SELECT nonce FROM {} WHERE expires_at > %s").format(
                sql.Identifier(RequestNonce.__tablename__)
            ),
            (self._clock().astimezone(UTC).replace(tzinfo=None),),
        )
        self._learn([nonce for (nonce,) in stored])
        while not self._idle():
            conn.execute("SELECT pg_notify(%s, '')", (channel,))
            for notice in conn.notifies(timeout=MARKER_SECONDS):
                self._receive(notice)

    def _poll(self, conn: Any) -> None:
        """Read SQLite's new rows in rowid order, which is the order of their commits.

        Rowids start again from 1 only in an emptied table, which takes every instance six
        minutes without a request; a top rowid below the last one seen reads it all again.
        """
        seen = 0
        while not self._idle():
            rows = conn.execute(_SQLITE_NEW_ROWS, (seen,)).fetchall()
            if rows:
                self._learn([nonce for _rowid, nonce in rows])
                seen = rows[-1][0]
            elif (conn.execute(_SQLITE_TOP).fetchone()[0] or 0) < seen:
                seen = 0
                continue
            with self._lock:
                self._live_until = time.monotonic() + LIVE_SECONDS
            time.sleep(POLL_SECONDS)

    def _receive(self, notice: Notify) -> None:
        if notice.payload:
            self._learn(notice.payload.split(","))
        else:
            with self._lock:
                self._live_until = time.monotonic() + LIVE_SECONDS

    def _learn(self, nonces: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            forget_expired(self._known, now)
            for nonce in nonces:
                self._known[nonce] = now + self._kept


_SQLITE_NEW_ROWS = (
    f"SELECT rowid, nonce FROM {RequestNonce.__tablename__} WHERE rowid > ? ORDER BY rowid"
)
_SQLITE_TOP = f"SELECT max(rowid) FROM {RequestNonce.__tablename__}"
