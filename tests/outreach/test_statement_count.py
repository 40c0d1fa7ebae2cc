"""A cycle is set-based: 5,000 new leads cost at most one more statement per 500 than 100 do."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, event

from cam.core.bulk import UPDATE_BATCH as BATCH_SIZE
from cam.core.db import unit_of_work
from cam.core.models import Base
from cam.cycle import run_daily_cam_cycle
from tests.outreach.helpers import Clock, add_leads, config, gateways, rng


@contextmanager
def counting(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def cycle_statements(engine, sessions, leads: int) -> int:
    with unit_of_work(sessions) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
    add_leads(sessions, leads)
    with counting(engine) as statements:
        report = run_daily_cam_cycle(
            config(max_new_leads_per_day=10_000),
            session_factory=sessions,
            gateways=gateways(),
            clock=Clock(),
            rng=rng(),
        )
    assert report.errors == [] and report.leads_processed == leads
    # Both sizes fill the same day: the work after phase 1 is the same.
    assert report.outreach_scheduled == 30 and report.simulated == 20
    return len(statements)


def test_statements_grow_by_at_most_one_per_batch_of_leads(engine, sessions):
    small = cycle_statements(engine, sessions, 100)
    large = cycle_statements(engine, sessions, 5_000)
    extra_batches = math.ceil(5_000 / BATCH_SIZE) - math.ceil(100 / BATCH_SIZE)
    assert large - small <= extra_batches, (small, large)
    assert small < 400
