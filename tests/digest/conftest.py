"""Fixtures of the digest's tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cam.core.db import SessionFactory, make_engine, session_factory


@pytest.fixture
def sqlite_sessions(sqlite_template: Path, tmp_path: Path) -> Iterator[SessionFactory]:
    """A fresh migrated SQLite database, for what does not depend on the database kind."""
    path = tmp_path / "digest.db"
    with closing(sqlite3.connect(sqlite_template)) as source, closing(sqlite3.connect(path)) as to:
        source.backup(to)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()
