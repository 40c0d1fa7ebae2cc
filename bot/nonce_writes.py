"""The background writer's batches of nonces: one statement on a connection of its own.

A batch was a session's transaction: on PostgreSQL five round trips (`SET LOCAL`, insert,
notice, commit, pre-ping), on SQLite the session's own machinery; their CPU is taken from the
same CPUs that answer acks. Here it is one statement in autocommit, which on PostgreSQL also
announces the new nonces to every instance's feed (bot/nonce_feed.py). The connection is the
writer thread's alone and is closed when the writer goes idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg import sql
from sqlalchemy import Engine

from bot.driver_connection import autocommit_connection
from bot.nonce_feed import CHANNEL_PREFIX, PER_NOTICE
from cam.core.models import RequestNonce

# At most this many nonces a statement: as many as one notice holds.
PER_STATEMENT = PER_NOTICE
_TABLE = RequestNonce.__tablename__
# Insert the nonces not stored yet and announce those (the notice is sent at the commit); no
# row when none was new.
_POSTGRESQL = sql.SQL(
    """
    WITH stored AS (
        INSERT INTO {table} (nonce, expires_at) SELECT unnest(%s::varchar[]), %s
        ON CONFLICT DO NOTHING RETURNING nonce)
    SELECT count(*), pg_notify(%s || current_schema(), string_agg(nonce, ','))
      FROM stored HAVING count(*) > 0
    """
).format(table=sql.Identifier(_TABLE))
# As SQLAlchemy writes a datetime in SQLite, so expired nonces compare as they should.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class QuickStore:
    """Store nonces for one writer thread, on a driver connection of its own in autocommit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._conn: Any = None

    def store(self, nonces: Sequence[str], expires_at: datetime) -> int:
        """Insert `nonces` (at most `PER_STATEMENT`); return how many no instance had stored."""
        expires = expires_at.astimezone(UTC).replace(tzinfo=None)
        conn = self._conn or self._connect()
        try:
            if self._sqlite:
                rows = ", ".join(["(?, ?)"] * len(nonces))
                values = [
                    v for nonce in nonces for v in (nonce, expires.strftime(_SQLITE_DATETIME))
                ]
                stored = conn.execute(
                    f"INSERT INTO {_TABLE} (nonce, expires_at) VALUES {rows}"
                    " ON CONFLICT DO NOTHING RETURNING nonce",
                    values,
                ).fetchall()
                return len(stored)
            row = conn.execute(_POSTGRESQL, (list(nonces), expires, CHANNEL_PREFIX)).fetchone()
            return 0 if row is None else int(row[0])
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection (the writer is idle): none is held between bursts."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> Any:
        conn = autocommit_connection(self._engine)
        if self._sqlite:
            # As every connection of the engine (cam/core/db.py): wait for the write lock, no
            # fsync at commit.
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
        else:
            # A crash may forget the last moment's nonces, never store a wrong one.
            conn.execute("SET synchronous_commit TO OFF")
        self._conn = conn
        return conn
