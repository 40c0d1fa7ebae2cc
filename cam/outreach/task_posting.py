"""LinkedIn steps, handed to a person as tasks: each task is opened in the transaction that
marks its step sent, so a step never becomes two tasks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core.db import unit_of_work
from cam.core.models import Channel, ManualTask, NotificationTopic, OutreachStatus
from cam.core.notices import TaskPayload, notice
from cam.core.ports import GatewayError, SocialPoster, SocialTask
from cam.outreach.outbox import Quota
from cam.outreach.send_outcomes import delivered
from cam.outreach.send_state import PHASE, PassState


def post_tasks(state: PassState) -> None:
    """Hand each due LinkedIn step to a person, until none is due or a limit holds."""
    while True:
        try:
            if not _post_one_task(state):
                return
        except GatewayError as exc:
            state.report.error(PHASE, f"LinkedIn tasks: {exc}")
            return


def _post_one_task(state: PassState) -> bool:
    """Post the next due step's task; False when there is nothing more to post now."""
    with unit_of_work(state.ctx.session_factory) as session:
        if state.is_halted(session):
            return False
        found = state.next_due(session, Channel.linkedin)
        if found is None:
            return False
        row, lead = found
        rendered = state.gate(session, row, lead, state.now)
        if rendered is None:
            return True
        quota = Quota(state.ctx, Channel.linkedin, "", state.now)
        refused = quota.take(session, state.caps(Channel.linkedin, quota.day))
        if refused is not None:
            state.report.skip(refused, state.count_due(session, Channel.linkedin))
            return False
        open_task(
            session,
            state.ctx.gateways.social,
            SocialTask(
                outreach_id=row.id,
                lead_id=lead.id,
                lead_name=lead.full_name,
                company=lead.company,
                title=lead.title,
                profile_url=lead.linkedin_url,
                message=rendered.text,
            ),
        )
        row.status, row.body = OutreachStatus.sent, rendered.text
        row.claimed_by, row.claimed_at, row.sent_at = state.ctx.instance, state.now, state.now
        row.attempts += 1
        # The lead counts as contacted when the person marks the task done.
        delivered(state, row, lead)
        state.counts.tasks += 1
        state.report.tasks_created += 1
        return True


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
