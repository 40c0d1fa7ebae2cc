"""Twenty days of a team's activity in Europe/Berlin, across the end of summer time.

Every row is placed at a local time; `expected` counts the same rows by local day in Python,
independently of the SQL the digest runs. Some rows sit just inside a day's edge where a
day counted in UTC, or with a fixed offset, would put them on the neighbouring day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cam.core import events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Campaign,
    Channel,
    Lead,
    LeadStatus,
    ManualTask,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    SuppressionSource,
    TaskStatus,
)
from cam.digest.model import Funnel
from cam.leads.event_payloads import LeadsProcessed
from cam.outreach.event_payloads import OutreachScheduled
from cam.replies.event_payloads import Unsubscribed

TEAM_ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TEAM_ZONE)
FIRST_DAY = date(2026, 10, 14)
DAYS = 20
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)  # Monday 2 November 2026
# Summer time ends on Sunday 25 October 2026 at 03:00 CEST: that day has 25 hours.
DST_DAY = date(2026, 10, 25)
CLASSES = (
    ReplyClass.interested,
    ReplyClass.question,
    ReplyClass.not_interested,
    ReplyClass.out_of_office,
    ReplyClass.other,
)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


@dataclass
class Seeded:
    funnels: dict[date, Funnel] = field(default_factory=lambda: defaultdict(Funnel))

    def expected(self, day: date) -> Funnel:
        return self.funnels.get(day, Funnel())


def seed(sessions: SessionFactory) -> Seeded:
    """Write the twenty days; return what each local day must count."""
    seeded = Seeded()
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="main", name="Main")
        session.add(campaign)
        session.flush()
        number = 0
        for offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            moments = [local(day, 9 + k % 8, 7 * k % 60) for k in range(offset % 5 + 3)]
            if day == DST_DAY:
                # 00:30 CEST is 22:30 UTC the day before; 23:30 CET is 22:30 UTC the same day.
                moments += [local(day, 0, 30), local(day, 23, 30)]
            if day == DST_DAY + timedelta(days=1):
                moments.append(local(day, 0, 30))  # 23:30 UTC on the 25th
            for k, moment in enumerate(moments):
                number += 1
                _activity(session, seeded, campaign.id, number, k, day, moment)
            processed = LeadsProcessed(processed=5, scored=offset % 4, disqualified=1)
            events.record(session, processed, at=local(day, 8, 0))
            scheduled = OutreachScheduled(
                campaign=campaign.key,
                enrolled=offset % 3,
                below_threshold=offset % 4 - offset % 3,
                first_steps=0,
                followups=0,
            )
            events.record(session, scheduled, at=local(day, 8, 1))
            funnel = seeded.funnels[day]
            funnel.disqualified += 1
            funnel.enrolled += offset % 3
            funnel.below_bar += offset % 4 - offset % 3
    return seeded


def _activity(session, seeded, campaign_id, number, k, day, moment) -> None:
    """One lead created, emailed at `moment`, and (for some) what followed that same day."""
    funnel = seeded.funnels[day]
    lead = Lead(
        email=f"lead{number}@example{number % 7}.com",
        first_name=f"Lead{number}",
        status=LeadStatus.contacted,
        created_at=moment,
    )
    session.add(lead)
    session.flush()
    funnel.new_leads += 1
    step = 1 + k % 2
    rejected = k == 4
    message = OutreachMessage(
        lead_id=lead.id,
        campaign_id=campaign_id,
        step=step,
        channel=Channel.email,
        scheduled_at=moment,
        status=OutreachStatus.failed if rejected else OutreachStatus.sent,
        reason="rejected: 550 no such user" if rejected else None,
        sent_at=None if rejected else moment,
        updated_at=moment,
        message_id=f"<m{number}@cam>",
    )
    session.add(message)
    session.flush()
    if rejected:
        funnel.bounced += 1
        return
    funnel.sent_by_step[step] = funnel.sent_by_step.get(step, 0) + 1
    if k % 2 == 0:
        kind = CLASSES[(number // 2) % len(CLASSES)]
        session.add(
            Reply(lead_id=lead.id, outreach_id=message.id, classification=kind, received_at=moment)
        )
        funnel.replies_by_class[kind.value] = funnel.replies_by_class.get(kind.value, 0) + 1
    if k == 3:
        session.add(Reply(lead_id=lead.id, classification=ReplyClass.bounce, received_at=moment))
        funnel.replies_by_class["bounce"] = funnel.replies_by_class.get("bounce", 0) + 1
        funnel.bounced += 1
    if k == 1:
        done = number % 2 == 0
        session.add(
            ManualTask(
                outreach_id=message.id,
                lead_id=lead.id,
                status=TaskStatus.done if done else TaskStatus.skipped,
                decided_at=moment,
            )
        )
        if done:
            funnel.tasks_done += 1
        else:
            funnel.tasks_skipped += 1
    if k == 2:
        session.add(
            Approval(
                kind=ApprovalKind.escalate_lead,
                status=ApprovalStatus.approved,
                lead_id=lead.id,
                requested_at=moment,
                decided_at=moment,
                crm_synced_at=moment,
            )
        )
        funnel.escalated += 1
        unsubscribed = Unsubscribed(
            email=lead.email,
            source=SuppressionSource.one_click,
            evidence="",
            by=None,
            reply_id=None,
            lead_ids=[lead.id],
            suppressed=True,
            outreach_skipped=0,
        )
        events.record(session, unsubscribed, at=moment)
        funnel.unsubscribed += 1
