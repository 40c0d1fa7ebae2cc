"""Plain driver connections in autocommit, beside the engine's pool.

The replay guard's lookups, writes and feed (bot/nonces.py, bot/nonce_writes.py,
bot/nonce_feed.py) each run one statement at a time on a connection they keep: a session's
machinery (pre-ping, `BEGIN IMMEDIATE`, rollback on return) cost more than the statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine


def autocommit_connection(engine: Engine) -> Any:
    """Open a DB-API connection to `engine`'s database in autocommit, usable from any thread."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    if engine.dialect.name == "sqlite":
        cparams = {**cparams, "check_same_thread": False, "isolation_level": None}
    else:
        cparams = {**cparams, "autocommit": True}
    return engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
