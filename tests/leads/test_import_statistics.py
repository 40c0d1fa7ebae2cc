"""A large import leaves PostgreSQL's planner statistics of the leads table fresh.

Without them the send claim joins fresh leads in a nested loop (bench/claim_plan.py: seconds
per claim over 5,000 leads). `reltuples` is -1 until the table's first ANALYZE (or VACUUM).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from cam.core.db import SessionFactory
from cam.leads.importer import ANALYZE_AFTER, import_leads
from tests.cli.helpers import write_csv


def _leads_file(path: Path, first: int, count: int) -> Path:
    rows = [[f"lead{n}@co{n}.example", f"Lead{n}"] for n in range(first, first + count)]
    return write_csv(path, [["email", "first_name"], *rows])


def _planner_rows(engine: Engine) -> float | None:
    """The row count PostgreSQL's planner assumes for leads; None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return float(
            conn.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'leads'::regclass"))
        )


def test_an_import_of_many_leads_analyses_the_table(
    engine: Engine, sessions: SessionFactory, tmp_path: Path
) -> None:
    few = ANALYZE_AFTER - 1
    assert import_leads(sessions, _leads_file(tmp_path / "a.csv", 0, few)).imported == few
    small = _planner_rows(engine)

    many = import_leads(sessions, _leads_file(tmp_path / "b.csv", few, ANALYZE_AFTER))
    assert many.imported == ANALYZE_AFTER

    if engine.dialect.name == "postgresql":
        assert small == -1, "a small import is left to autovacuum"
        assert _planner_rows(engine) == few + ANALYZE_AFTER
    else:
        # SQLite plans the claim by its indexes alone: no statistics table is written.
        with engine.connect() as conn:
            stats = conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
        assert stats == 0
