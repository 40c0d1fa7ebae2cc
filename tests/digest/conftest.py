"""Fixtures of the digest's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cam.core.db import SessionFactory, make_engine, session_factory
from tests.conftest import copy_database


@pytest.fixture
def sqlite_sessions(sqlite_template: Path, tmp_path: Path) -> Iterator[SessionFactory]:
    """A fresh migrated SQLite database, for what does not depend on the database kind."""
    engine = make_engine(copy_database(sqlite_template, tmp_path / "digest.db"))
    yield session_factory(engine)
    engine.dispose()
