"""Shared fixtures: a fresh migrated database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from cam.core.db import SessionFactory, make_engine, reachable, session_factory, upgrade
from tests.fakes.slack_api import FakeSlack, running_fake_slack

PG_URL = os.environ.get("CAM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


PG_AVAILABLE = reachable(PG_URL)
if os.environ.get("CAM_REQUIRE_PG") and not PG_AVAILABLE:
    raise RuntimeError(f"CAM_REQUIRE_PG is set but PostgreSQL is not reachable at {PG_URL}")


def pg_schema_url(schema: str) -> str:
    """Return the PostgreSQL URL whose connections use `schema` first."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """Yield the URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cam.core.db'}"
        upgrade(url)
        yield url
        return
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = pg_schema_url(schema)
    try:
        upgrade(url)
        yield url
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
