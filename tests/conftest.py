"""Shared fixtures: a fresh migrated database per test, on SQLite and on PostgreSQL, a fake
Slack, and the mail servers on loopback (tests/gateways)."""

from __future__ import annotations

import atexit
import functools
import io
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from graphlib import TopologicalSorter
from pathlib import Path

import pytest
from alembic import command
from hypothesis import settings
from sqlalchemy import Connection, Engine, text
from sqlalchemy.pool import NullPool

from cam.core.db import (
    SessionFactory,
    alembic_config,
    make_engine,
    reachable,
    session_factory,
    upgrade,
)
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.gateways.imap_server import imap_ca, imap_server, imaps_server
from tests.gateways.smtp_server import plain_smtp_server, smtp_ca, smtp_server, smtps_server

__all__ = [
    "imap_ca",
    "imap_server",
    "imaps_server",
    "plain_smtp_server",
    "smtp_ca",
    "smtp_server",
    "smtps_server",
]


def _throwaway_home() -> None:
    """Point HOME and the XDG folders at one temporary folder for the whole run.

    No test writes outside its tmp dirs: the default database (`~/.local/share/cam/`), caches
    and dotfiles of the CLI subprocesses land there. The first process (the xdist controller)
    makes it; its workers inherit the variables.
    """
    if "CAM_TEST_HOME" in os.environ:
        return
    home = tempfile.mkdtemp(prefix="cam-test-home-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["CAM_TEST_HOME"] = os.environ["HOME"] = home
    for name, sub in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config")):
        os.environ[name] = os.path.join(home, sub)
    os.environ["XDG_CACHE_HOME"] = os.path.join(home, ".cache")


_throwaway_home()

# Hypothesis fails an example that takes over 200 ms by default: a timing assertion, which a
# loaded machine fails by chance (tests/gateways/test_mail.py did). No example has a deadline.
settings.register_profile("cam", deadline=None)
settings.load_profile("cam")

# Marks of the tests that keep one worker busy for many seconds.
LONG = ("slow", "sim", "long")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long tests first, the others in their usual order after them.

    xdist hands each worker two tests at a time (`--maxschedchunk 2` in pyproject.toml), so
    the long ones start at once on every worker, side by side; started in the order they were
    collected they came last, and the run ended on one of them alone (the last 100 s of it).
    Every worker sorts the same collection the same way, as xdist requires.
    """
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LONG))


PG_URL = os.environ.get("CAM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


PG_AVAILABLE = reachable(PG_URL)
if os.environ.get("CAM_REQUIRE_PG") and not PG_AVAILABLE:
    raise RuntimeError(f"CAM_REQUIRE_PG is set but PostgreSQL is not reachable at {PG_URL}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (per worker), copied for each test."""
    path = tmp_path_factory.mktemp("template") / "cam.db"
    upgrade(f"sqlite:///{path}")
    return path


def copy_database(template: Path, path: Path) -> str:
    """Copy the migrated SQLite `template` to `path`; return its URL."""
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as dest:
        source.backup(dest)
    return f"sqlite:///{path}"


@pytest.fixture
def migrated_sqlite(sqlite_template: Path) -> Callable[[Path], str]:
    """Make a migrated SQLite database at a path of the test's choosing; return its URL.

    A copy of the session's template: Alembic's sixteen migrations cost 0.5 s a database."""
    return functools.partial(copy_database, sqlite_template)


@pytest.fixture(scope="session")
def pg_schema_sql() -> str:
    """The migrations as one SQL script (Alembic's offline mode), written once per session."""
    config = alembic_config(PG_URL)
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    return config.output_buffer.getvalue()


def pg_schema_url(schema: str) -> str:
    """Return the PostgreSQL URL whose connections use `schema` first."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


class PgSchemas:
    """This worker's migrated PostgreSQL schemas: a test gets one as the migrations leave it.

    Creating a schema from the migrations' script and dropping it cost PostgreSQL more than
    most tests themselves (and bloat its catalogs), so a schema a test is done with is emptied
    (rows deleted, sequences restarted) and renamed for the next test: renamed, it is out of
    reach of any connection the last test left behind. A schema whose tables, columns,
    indexes, constraints or revision a test changed is dropped instead.
    """

    def __init__(self, script: str) -> None:
        self.script = script
        self.admin = make_engine(PG_URL, poolclass=NullPool)
        self.free: list[str] = []
        # Learnt from the first schema, as the script made it.
        self.relations: list[str] = []
        self.clean = ""
        self.emptying = ""

    def take(self) -> str:
        """Return the name of a clean schema, made from the script if none is free."""
        if self.free:
            return self.free.pop()
        schema = _schema_name()
        with closing(self.admin.raw_connection()) as raw, closing(raw.cursor()) as cursor:
            # The script commits itself; the connection is closed after it, search_path with it.
            cursor.execute(f"CREATE SCHEMA {schema}; SET search_path TO {schema};\n{self.script}")
        if not self.relations:
            self._learn(schema)
        return schema

    def give_back(self, schema: str) -> None:
        """Empty `schema` and keep it under a new name, or drop it if a test changed it."""
        with self.admin.begin() as conn:
            if self._signature(conn, schema) != self.clean:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                return
            fresh = _schema_name()
            conn.exec_driver_sql(
                f"SET LOCAL search_path TO {schema}; {self.emptying}"
                f" ALTER SCHEMA {schema} RENAME TO {fresh};"
            )
        self.free.append(fresh)

    def close(self) -> None:
        with self.admin.begin() as conn:
            for schema in self.free:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        self.admin.dispose()

    def _learn(self, schema: str) -> None:
        """Note the schema's relations, its signature, and how to empty it: tables that
        reference others first, sequences back to their start."""
        with self.admin.connect() as conn:
            found = conn.execute(_RELATIONS, {"schema": schema}).all()
            self.relations = [name for name, _kind, _refs in found]
            self.clean = self._signature(conn, schema)
        tables = {name: set(refs) for name, kind, refs in found if kind in "rp"}
        tables.pop("alembic_version")
        order = reversed(list(TopologicalSorter(tables).static_order()))
        sequences = [name for name, kind, _refs in found if kind == "S"]
        self.emptying = " ".join(
            [f"DELETE FROM {table};" for table in order]
            + [f"SELECT setval('{sequence}', 1, false);" for sequence in sequences]
        )

    def _signature(self, conn: Connection, schema: str) -> str:
        """Everything a test could change in a schema besides its rows, as one string.

        Looked up by name (the catalogs' indexes): scanning catalogs that every test run
        before this one bloated would cost as much as the schema itself."""
        shape = conn.execute(_SIGNATURE, {"schema": schema, "names": self.relations})
        revision = conn.execute(text(f"SELECT version_num FROM {schema}.alembic_version"))
        return f"{shape.scalar_one()}|{revision.scalars().all()}"


def _schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


_RELATIONS = text(
    """
    SELECT c.relname, c.relkind::text, array(
        SELECT DISTINCT f.relname FROM pg_constraint k JOIN pg_class f ON f.oid = k.confrelid
         WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid)
      FROM pg_class c
     WHERE c.relnamespace = to_regnamespace(:schema)
    """
)
_SIGNATURE = text(
    """
    WITH rel AS (
        SELECT c.oid, c.relname || ':' || c.relkind::text || ':' || c.relnatts AS shape
          FROM pg_class c
         WHERE c.relname = ANY(:names) AND c.relnamespace = to_regnamespace(:schema))
    SELECT (SELECT string_agg(shape, ',' ORDER BY shape) FROM rel)
        || '|' || (SELECT string_agg(k.conname || ':' || k.contype::text, ',' ORDER BY k.conname)
                     FROM pg_constraint k WHERE k.conrelid = ANY(array(SELECT oid FROM rel)))
    """
)


@pytest.fixture(scope="session")
def pg_schemas(pg_schema_sql: str) -> Iterator[PgSchemas]:
    schemas = PgSchemas(pg_schema_sql)
    yield schemas
    schemas.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty, migrated database of each kind.

    Each is built from the migrations run once per session (a SQLite file copied, a
    PostgreSQL schema made from the SQL script of their run and reused emptied, `PgSchemas`):
    running the migrations for every test cost more than most tests themselves.
    """
    if request.param == "sqlite":
        yield copy_database(request.getfixturevalue("sqlite_template"), tmp_path / "cam.db")
        return
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL is not reachable")
    schemas: PgSchemas = request.getfixturevalue("pg_schemas")
    schema = schemas.take()
    yield pg_schema_url(schema)
    schemas.give_back(schema)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    """A session factory on the fresh database."""
    return session_factory(engine)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API on loopback that records every call."""
    yield from running_fake_slack()
