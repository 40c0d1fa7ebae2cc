"""Manual tasks (LinkedIn steps) decided by a person: done or skipped, once.

Outreach opens them (`cam.outreach.task_posting.open_task`); a click in Slack decides them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.models import (
    Lead,
    LeadStatus,
    ManualTask,
    TaskStatus,
    utcnow,
)
from cam.escalation.event_payloads import TaskDecided
from cam.leads import status as lead_status


class UnknownTask(LookupError):
    """No manual task has this id."""


class TaskChoice(enum.StrEnum):
    """What a person chose on a task: its two buttons."""

    done = "done"
    skipped = "skipped"

    @property
    def status(self) -> TaskStatus:
        """The status the task takes when this choice wins."""
        return TaskStatus(self.value)


def decide_task(
    session: Session,
    *,
    task_id: int,
    by: str,
    choice: TaskChoice,
    note: str | None = None,
    now: datetime | None = None,
) -> ManualTask:
    """Mark an open task done (lead contacted) or skipped (with why); a repeat changes nothing."""
    now = now or utcnow()
    task = session.get(ManualTask, task_id)
    if task is None:
        raise UnknownTask(f"no task with id {task_id}")
    status = choice.status
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
        if choice is TaskChoice.done:
            session.execute(
                update(Lead)
                .where(Lead.id == task.lead_id)
                .values(last_contacted_at=now)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(Lead)
                # A reply or an opt-out outranks a done task.
                .where(Lead.id == task.lead_id, lead_status.moves_to(LeadStatus.contacted))
                .values(status=LeadStatus.contacted)
                .execution_options(synchronize_session=False)
            )
        events.record(
            session,
            TaskDecided(task_id=task_id, lead_id=task.lead_id, status=status, by=by, note=note),
        )
    session.refresh(task)
    return task
