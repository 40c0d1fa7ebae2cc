"""Engines, sessions and migrations, correct on SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

# Alembic (with the Mako and Pygments it loads) is imported where the migrations are read:
# `cam db upgrade` and the bot's start-up need it, the other commands do not.
if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
# Heroku, Render and others set `postgres://`; SQLAlchemy names the dialect `postgresql` and
# would pick psycopg2, which is not installed: both spellings go to psycopg (3).
_POSTGRES_SCHEMES = ("postgres", "postgresql")
POSTGRES_DRIVER = "postgresql+psycopg"
# PostgreSQL's SQLSTATE for "database does not exist".
_INVALID_CATALOG = "3D000"
# PostgreSQL's SQLSTATE for "relation does not exist".
_UNDEFINED_TABLE = "42P01"
_NO_DATABASE = re.compile(r'FATAL:\s+database ".*" does not exist')
_SECRET_QUERY = re.compile(r"(?i)([?&](?:password|passwd|pwd|sslpassword)=)[^&]*")


UPGRADE = "run `cam db upgrade`"


class SchemaState(StrEnum):
    """How the database's schema compares with the one this code needs."""

    current = "current"
    missing = "missing"  # no tables: never upgraded
    behind = "behind"  # an older revision: `cam db upgrade`
    unknown = "unknown"  # a revision this code does not know: newer code migrated it


def default_database_url() -> str:
    """Return the SQLite file every command uses by default, wherever it is started.

    It lives in the user's data directory (`$XDG_DATA_HOME/cam/cam.db`, else
    `~/.local/share/cam/cam.db`), so `cam` and `cam-bot` started in different folders agree.
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    folder = Path(base) / "cam"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'cam.db'}"


def normalise_url(url: str) -> str:
    """Return the URL with `postgres://` and `postgresql://` mapped to the installed psycopg."""
    scheme, sep, rest = url.strip().partition("://")
    if sep and scheme.lower() in _POSTGRES_SCHEMES:
        return f"{POSTGRES_DRIVER}://{rest}"
    return url.strip()


def redacted_url(url: str) -> str:
    """Return the URL fit to print: the password, in the authority or the query, hidden."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<not a database URL>"
    # The last `@` ends the credentials, even when a password holds an unescaped `@`.
    authority_end = rest.find("/", rest.rfind("@") + 1)
    authority = rest if authority_end < 0 else rest[:authority_end]
    tail = "" if authority_end < 0 else rest[authority_end:]
    credentials, at, host = authority.rpartition("@")
    if at and ":" in credentials:
        authority = f"{credentials.split(':', 1)[0]}:***@{host}"
    tail = _SECRET_QUERY.sub(r"\1***", tail)
    return f"{scheme}://{authority}{tail}"


def check_url(url: str) -> str:
    """Return the URL normalised, or raise ValueError saying what is wrong with it."""
    url = normalise_url(url)
    example = "e.g. postgresql://user:password@host/cam or sqlite:////path/to/cam.db"
    try:
        parsed = make_url(url)
        parsed.get_dialect().import_dbapi()
        _ = parsed.port  # a port that is not a number raises here
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"not a database URL ({example})") from exc
    except (NoSuchModuleError, ImportError) as exc:
        raise ValueError(f"no installed driver for {parsed.drivername} ({example})") from exc
    if parsed.host is not None and "@" in parsed.host:
        # Read as host, the rest of the password would be printed in every connection error.
        raise ValueError("the password holds an unescaped `@`: write it as `%40`")
    return url


def database_missing(exc: BaseException) -> bool:
    """Tell whether a connection failed because the PostgreSQL database does not exist."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    # At connection time libpq gives psycopg the server's message but not its SQLSTATE.
    return getattr(orig, "sqlstate", None) == _INVALID_CATALOG or bool(
        _NO_DATABASE.search(str(orig))
    )


def schema_head() -> str:
    """Return the newest schema revision this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def schema_state(connection: Connection, head: str) -> tuple[SchemaState, str | None]:
    """Compare the database's revision with `head`; return the state and the revision found."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return SchemaState.current, current
    if current is None:
        return SchemaState.missing, None
    known = ScriptDirectory.from_config(alembic_config("sqlite://"))
    if current in {script.revision for script in known.walk_revisions()}:
        return SchemaState.behind, current
    return SchemaState.unknown, current


def schema_advice(state: SchemaState, revision: str | None, head: str) -> str | None:
    """Say in one line what to do about the schema, or None when it is current."""
    if state is SchemaState.missing:
        return "the database has no tables yet: " + UPGRADE
    if state is SchemaState.behind:
        return f"the database schema is at {revision}, this version needs {head}: " + UPGRADE
    if state is SchemaState.unknown:
        return (
            f"the database schema is at {revision}, newer than this version knows ({head}): "
            "run the newer version of CAM"
        )
    return None


SessionFactory = sessionmaker[Session]


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine that survives a database restart (pre-ping) and SQLite concurrency."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself, so that writers take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # BEGIN IMMEDIATE serializes writers: a read-then-write never meets a stale snapshot.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> SessionFactory:
    """Return the session factory every unit of work uses."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: SessionFactory) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


# SQLite's primary result codes (`sqlite3.Error.sqlite_errorcode & 0xFF`) and PostgreSQL's
# SQLSTATEs for a database that answers but cannot store anything more.
_SQLITE_READONLY, _SQLITE_FULL = 8, 13
_PG_DISK_FULL, _PG_READ_ONLY = "53100", "25006"


def storage_problem(exc: BaseException) -> str | None:
    """Name what stops the database from storing: a full disk or a read-only database.

    Both answer like a database that is down (an OperationalError); saying which one tells the
    admin what to fix. None when the error is neither.
    """
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    state = getattr(orig, "sqlstate", None)
    text = str(orig).lower()
    if primary == _SQLITE_FULL or state == _PG_DISK_FULL or "no space left on device" in text:
        return "the database's disk is full"
    if primary == _SQLITE_READONLY or state == _PG_READ_ONLY or "read-only transaction" in text:
        return "the database is read-only (file permissions, a read-only mount or a replica)"
    return None


def tables_missing(exc: BaseException) -> bool:
    """Tell whether a statement failed because a table is missing: `cam db upgrade` not run."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig)
    return getattr(orig, "sqlstate", None) == _UNDEFINED_TABLE or "no such table" in text


def reachable(url: str) -> bool:
    """Tell whether a database answers at `url` (for tests and benchmarks that need one)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
