"""LinkedIn steps, handed to a person as tasks: each task is opened in the transaction that
marks its step sent, so a step never becomes two tasks."""

from __future__ import annotations

from cam.core.db import unit_of_work
from cam.core.models import Channel, OutreachStatus
from cam.core.ports import GatewayError, SocialTask
from cam.escalation import tasks
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
        tasks.open_task(
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
