"""LinkedIn steps as manual tasks: created with a notification, decided once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cam.core.db import unit_of_work
from cam.core.models import (
    Campaign,
    Channel,
    Event,
    Lead,
    LeadStatus,
    ManualTask,
    Notification,
    OutreachMessage,
    OutreachStatus,
    TaskStatus,
)
from cam.core.ports import GatewayError, SocialTask
from cam.escalation.event_payloads import TaskDecided
from cam.escalation.tasks import TaskChoice, UnknownTask, decide_task
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.gateways.noop import NoopSocialPoster
from cam.outreach.task_posting import open_task
from tests.escalation.helpers import NOW, add_lead


def linkedin_step(sessions, status: LeadStatus = LeadStatus.scheduled) -> SocialTask:
    with unit_of_work(sessions) as session:
        lead = add_lead(session, "ada@analytical.example", status=status, replies=())
        lead.linkedin_url = "https://www.linkedin.com/in/ada"
        campaign = Campaign(key="spring", name="Spring")
        session.add(campaign)
        session.flush()
        outreach = OutreachMessage(
            lead_id=lead.id,
            campaign_id=campaign.id,
            step=2,
            channel=Channel.linkedin,
            scheduled_at=NOW,
            status=OutreachStatus.sending,
        )
        session.add(outreach)
        session.flush()
        return SocialTask(
            outreach_id=outreach.id,
            lead_id=lead.id,
            lead_name=lead.full_name,
            company=lead.company,
            title=lead.title,
            profile_url=lead.linkedin_url,
            message="Hi Ada, loved your talk on engines.",
        )


def create(sessions, step: SocialTask) -> int:
    with unit_of_work(sessions) as session:
        return open_task(session, LinkedInTaskPoster(), step)


def test_a_task_and_its_notification_land_together_once(sessions):
    step = linkedin_step(sessions)

    task_id = create(sessions, step)
    again = create(sessions, step)

    assert task_id == again
    with unit_of_work(sessions) as session:
        task = session.scalars(select(ManualTask)).one()
        assert task_id == task.id
        assert (task.outreach_id, task.lead_id, task.status) == (
            step.outreach_id,
            step.lead_id,
            TaskStatus.open,
        )
        assert task.suggested_message == "Hi Ada, loved your talk on engines."
        notes = session.scalars(select(Notification)).all()
        assert [(n.topic, n.payload) for n in notes] == [("task", {"task_id": task.id})]


def test_a_rolled_back_step_leaves_no_task(sessions):
    step = linkedin_step(sessions)

    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        open_task(session, LinkedInTaskPoster(), step)
        raise RuntimeError("the send pass failed after the task was written")

    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(ManualTask)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_poster_that_cannot_hand_over_leaves_no_task(sessions):
    step = linkedin_step(sessions)

    with pytest.raises(GatewayError, match="CAM_LINKEDIN_TASKS"), unit_of_work(sessions) as session:
        open_task(session, NoopSocialPoster(), step)

    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(ManualTask)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_done_marks_the_lead_contacted_once(sessions):
    step = linkedin_step(sessions)
    task_id = create(sessions, step)

    with unit_of_work(sessions) as session:
        done = decide_task(session, task_id=task_id, by="U_ANA", choice=TaskChoice.done, now=NOW)
        assert (done.status, done.decided_by, done.decided_at) == (TaskStatus.done, "U_ANA", NOW)
    with unit_of_work(sessions) as session:
        repeat = decide_task(
            session, task_id=task_id, by="U_BOB", choice=TaskChoice.skipped, note="dup"
        )
        assert (repeat.status, repeat.decided_by, repeat.note) == (TaskStatus.done, "U_ANA", None)
        lead = session.get_one(Lead, step.lead_id)
        assert lead.status is LeadStatus.contacted
        assert lead.last_contacted_at == NOW
        decided = session.scalars(select(Event).where(Event.name == TaskDecided.name)).all()
        assert [e.details["status"] for e in decided] == ["done"]


def test_skip_records_why_and_leaves_the_lead(sessions):
    step = linkedin_step(sessions)
    task_id = create(sessions, step)

    with unit_of_work(sessions) as session:
        skipped = decide_task(
            session,
            task_id=task_id,
            by="U_BOB",
            choice=TaskChoice.skipped,
            note="no LinkedIn profile",
        )
        assert (skipped.status, skipped.note) == (TaskStatus.skipped, "no LinkedIn profile")
    with unit_of_work(sessions) as session:
        lead = session.get_one(Lead, step.lead_id)
        assert lead.status is LeadStatus.scheduled
        assert lead.last_contacted_at is None


def test_done_never_downgrades_a_lead_that_replied(sessions):
    step = linkedin_step(sessions, status=LeadStatus.hot)
    task_id = create(sessions, step)

    with unit_of_work(sessions) as session:
        decide_task(session, task_id=task_id, by="U_ANA", choice=TaskChoice.done, now=NOW)
    with unit_of_work(sessions) as session:
        lead = session.get_one(Lead, step.lead_id)
        assert lead.status is LeadStatus.hot
        assert lead.last_contacted_at == NOW


def test_unknown_task(sessions):
    with pytest.raises(UnknownTask), unit_of_work(sessions) as session:
        decide_task(session, task_id=99, by="U_ANA", choice=TaskChoice.done)
