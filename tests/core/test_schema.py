"""The migration builds exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cam.core.db import unit_of_work
from cam.core.models import Base
from cam.core.state import get_state


def test_migration_matches_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_runtime_state_defaults_to_dry_run(sessions):
    with unit_of_work(sessions) as session:
        state = get_state(session)
        assert state.dry_run is True
        assert state.paused is False
    with unit_of_work(sessions) as session:
        assert get_state(session).id == 1
