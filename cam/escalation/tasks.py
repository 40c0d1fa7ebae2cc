"""Manual tasks (LinkedIn steps): queued with their Slack card, then done or skipped, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.models import (
    Lead,
    LeadStatus,
    ManualTask,
    NotificationTopic,
    TaskStatus,
    utcnow,
)
from cam.core.notices import TaskPayload, notice
from cam.core.ports import SocialPoster, SocialTask
from cam.leads import lifecycle


class UnknownTask(LookupError):
    """No manual task has this id."""


def open_task(session: Session, poster: SocialPoster, task: SocialTask) -> int:
    """Queue a step for a person with the notification that brings it to Slack; return its id.

    Both rows are written in the caller's transaction before the poster hands the step over, so
    a poster that fails (or is not configured) leaves neither. A step already queued keeps its
    one task.
    """
    existing = session.scalars(
        select(ManualTask.id).where(ManualTask.outreach_id == task.outreach_id)
    ).first()
    if existing is not None:
        return existing
    manual = ManualTask(
        outreach_id=task.outreach_id, lead_id=task.lead_id, suggested_message=task.message
    )
    session.add(manual)
    session.flush()
    session.add(notice(NotificationTopic.task, TaskPayload(task_id=manual.id)))
    poster.create_task(task)
    return manual.id


def decide_task(
    session: Session,
    *,
    task_id: int,
    by: str,
    done: bool,
    note: str | None = None,
    now: datetime | None = None,
) -> ManualTask:
    """Mark an open task done (lead contacted) or skipped (with why); a repeat changes nothing."""
    now = now or utcnow()
    task = session.get(ManualTask, task_id)
    if task is None:
        raise UnknownTask(f"no task with id {task_id}")
    status = TaskStatus.done if done else TaskStatus.skipped
    result = cast(
        CursorResult[Any],
        session.execute(
            update(ManualTask)
            .where(ManualTask.id == task_id, ManualTask.status == TaskStatus.open)
            .values(status=status, decided_by=by, decided_at=now, note=note)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount == 1:
        if done:
            session.execute(
                update(Lead)
                .where(Lead.id == task.lead_id)
                .values(last_contacted_at=now)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(Lead)
                # A reply or an opt-out outranks a done task.
                .where(Lead.id == task.lead_id, lifecycle.moves_to(LeadStatus.contacted))
                .values(status=LeadStatus.contacted)
                .execution_options(synchronize_session=False)
            )
        events.record(
            session,
            events.TASK_DECIDED,
            {
                "task_id": task_id,
                "lead_id": task.lead_id,
                "status": status.value,
                "by": by,
                "note": note,
            },
        )
    session.refresh(task)
    return task
