"""LinkedIn steps as tasks for a person: LinkedIn forbids automated outreach."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core.models import ManualTask, Notification
from cam.gateways.base import SocialTask


class LinkedInTaskPoster:
    """Write a manual task and the notification that brings it to Slack, in one transaction."""

    name = "linkedin-tasks"
    configured = True

    def create_task(self, session: Session, task: SocialTask) -> str:
        """Queue the step for a person; a step already queued keeps its one task."""
        existing = session.scalars(
            select(ManualTask.id).where(ManualTask.outreach_id == task.outreach_id)
        ).first()
        if existing is not None:
            return f"task:{existing}"
        manual = ManualTask(
            outreach_id=task.outreach_id, lead_id=task.lead_id, suggested_message=task.message
        )
        session.add(manual)
        session.flush()
        session.add(Notification(topic="task", payload={"task_id": manual.id}))
        return f"task:{manual.id}"
