"""Helpers for runtime tests: finished cycle runs with their report notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import CycleRun, Notification, RunKind, RunStatus
from cam.core.report import CAMCycleReport, CycleError


def add_report(
    sessions: SessionFactory, *, errors: int = 0, at: datetime | None = None
) -> tuple[int, int]:
    """Store a finished dry-run cycle and its report notification; return (run id, row id)."""
    start = at or datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    report = CAMCycleReport(
        start=start,
        end=start + timedelta(seconds=3),
        leads_processed=12,
        simulated=4,
        errors=[
            CycleError(phase="sending", item=f"lead {i}", message="mailbox full")
            for i in range(errors)
        ],
    )
    with unit_of_work(sessions) as session:
        run = CycleRun(
            kind=RunKind.daily, trigger="test", status=RunStatus.completed, started_at=start
        )
        session.add(run)
        session.flush()
        report.cycle_id = run.id
        run.report = report.model_dump(mode="json")
        run.finished_at = report.end
        row = Notification(topic="cycle_report", payload={"cycle_id": run.id})
        session.add(row)
        session.flush()
        return run.id, row.id
