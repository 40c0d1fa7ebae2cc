"""Read-side queries over past cycles and open approvals, for the CLI and the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.models import Approval, ApprovalStatus, CycleRun, RunKind


def last_runs(session: Session, n: int) -> list[CycleRun]:
    """Return the `n` most recent cycle runs, newest first (in the order they were opened)."""
    return list(session.scalars(select(CycleRun).order_by(CycleRun.id.desc()).limit(n)))


def last_started(session: Session, kind: RunKind) -> datetime | None:
    """When the latest run of `kind` (scheduled or by hand) began; None if there was none."""
    return session.scalar(select(func.max(CycleRun.started_at)).where(CycleRun.kind == kind))


def previous_run(session: Session, run: CycleRun) -> CycleRun | None:
    """Return the finished run of the same kind opened just before `run`, to compare against."""
    query = (
        select(CycleRun)
        .where(
            CycleRun.kind == run.kind,
            CycleRun.id < run.id,
            CycleRun.finished_at.is_not(None),
        )
        .order_by(CycleRun.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def pending_approvals(session: Session) -> list[Approval]:
    """Return the approvals still waiting for a decision, oldest first."""
    query = (
        select(Approval)
        .where(Approval.status == ApprovalStatus.pending)
        .order_by(Approval.requested_at, Approval.id)
    )
    return list(session.scalars(query))
