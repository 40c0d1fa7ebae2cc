"""Shared fixtures: a fresh migrated database per test, on SQLite and on PostgreSQL, a fake
Slack, and the mail servers on loopback (tests/gateways)."""

from __future__ import annotations

import atexit
import io
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty, migrated database of each kind.

    Each is built from the migrations run once per session (a SQLite file copied, the SQL
    script of PostgreSQL's run): running the migrations for every test cost more than most
    tests themselves.
    """
    if request.param == "sqlite":
        path = tmp_path / "cam.db"
        template = request.getfixturevalue("sqlite_template")
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as dest:
            source.backup(dest)
        yield f"sqlite:///{path}"
        return
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL is not reachable")
    script = request.getfixturevalue("pg_schema_sql")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, poolclass=NullPool)
    with closing(admin.raw_connection()) as raw, closing(raw.cursor()) as cursor:
        # The script commits itself; the connection is closed after it, search_path with it.
        cursor.execute(f"CREATE SCHEMA {schema}; SET search_path TO {schema};\n{script}")
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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
