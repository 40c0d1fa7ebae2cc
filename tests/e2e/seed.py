"""Put engine state in the database the way the engine does, then post what it queued."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import web_client
from bot.notifier import Notifier
from cam.core.db import unit_of_work
from cam.core.models import (
    Campaign,
    Channel,
    Lead,
    LeadStatus,
    ManualTask,
    OutreachMessage,
    OutreachStatus,
    utcnow,
)
from cam.core.ports import SocialTask
from cam.core.runs import pending_approvals
from cam.escalation import escalations
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.outreach.task_posting import open_task
from tests.e2e.slack_client import RunningBot
from tests.escalation.helpers import add_lead, cycle_context


def deliver(bot: RunningBot) -> int:
    """Post what the engine queued, as the notifier does; return how many posts went out."""
    notifier = Notifier(web_client(bot.settings), bot.sessions, bot.settings, config=bot.config)
    return notifier.deliver_pending()


def hot_lead_approval(bot: RunningBot, email: str = "ada@acme.example", **fields: str) -> int:
    """Escalate one hot lead (phase 5), post its approval message; return the approval id."""
    with unit_of_work(bot.sessions) as session:
        lead = add_lead(session, email)
        for name, value in fields.items():
            setattr(lead, name, value)
    escalations.escalate_hot_leads(cycle_context(bot.sessions, now=utcnow()))
    deliver(bot)
    with unit_of_work(bot.sessions) as session:
        lead_id = session.scalars(select(Lead.id).where(Lead.email == email)).one()
        return next(a.id for a in pending_approvals(session) if a.lead_id == lead_id)


def linkedin_task(bot: RunningBot, email: str = "grace@acme.example", **fields: str) -> int:
    """Create a LinkedIn task as the engine's poster does, post it; return the task id.

    `fields` override the lead's (a value stored before the import checked it, for instance).
    """
    with unit_of_work(bot.sessions) as session:
        values = {
            "first_name": "Grace",
            "last_name": "Hopper",
            "company": "Acme",
            "title": "CTO",
            "linkedin_url": "https://www.linkedin.com/in/grace-example",
        }
        lead = Lead(
            email=email,
            domain=email.rpartition("@")[2],
            status=LeadStatus.scheduled,
            **(values | fields),
        )
        campaign = Campaign(key="c1", name="Campaign")
        session.add_all([lead, campaign])
        session.flush()
        outreach = OutreachMessage(
            lead_id=lead.id,
            campaign_id=campaign.id,
            step=1,
            channel=Channel.linkedin,
            scheduled_at=utcnow(),
            status=OutreachStatus.planned,
        )
        session.add(outreach)
        session.flush()
        open_task(
            session,
            LinkedInTaskPoster(),
            SocialTask(
                outreach_id=outreach.id,
                lead_id=lead.id,
                lead_name=lead.full_name or email,
                company=lead.company,
                title=lead.title,
                profile_url=lead.linkedin_url,
                message="Hi Grace, saw your talk on compilers.",
            ),
        )
        session.flush()
        task_id = session.scalars(
            select(ManualTask.id).where(ManualTask.outreach_id == outreach.id)
        ).one()
    deliver(bot)
    return task_id
