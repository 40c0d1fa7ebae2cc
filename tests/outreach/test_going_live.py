"""Going live after days of dry run: planning goes on, and no step overtakes the one before."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select, update

from cam.core.db import unit_of_work
from cam.core.models import Event, Lead, OutreachMessage, OutreachStatus
from cam.outreach.event_payloads import OutreachNotPlanned
from tests.outreach.days import TeamDays, steps_out_of_order
from tests.outreach.helpers import RecordingEmailSender, add_leads, gateways


def first_steps_sent(days: TeamDays) -> set[int]:
    with unit_of_work(days.sessions) as session:
        return set(
            session.scalars(
                select(OutreachMessage.lead_id).where(
                    OutreachMessage.step == 1, OutreachMessage.status == OutreachStatus.sent
                )
            )
        )


@pytest.mark.long
@pytest.mark.parametrize("dry_days", [3, 7])
def test_going_live_after_dry_days_keeps_planning_in_order(sessions, dry_days: int):
    sender = RecordingEmailSender()
    days = TeamDays(sessions, gateways(sender, linkedin=True))
    add_leads(sessions, 60)
    for _ in range(dry_days):
        days.day()
    days.go_live()
    for live_day in range(1, 13):
        if live_day == 6:
            add_leads(sessions, 10, start=60)
        days.day()
    assert days.errors() == []
    assert steps_out_of_order(sessions) == []
    with unit_of_work(sessions) as session:
        lead_ids = set(session.scalars(select(Lead.id)))
    assert first_steps_sent(days) == lead_ids
    assert len({m.to for m in sender.sent}) == 70
    assert len(sender.sent) == len({(m.to, m.step) for m in sender.sent})


def test_a_lead_whose_step_is_already_queued_fails_alone(sessions):
    days = TeamDays(sessions, gateways())
    add_leads(sessions, 3)
    days.at(time(9, 5))
    days.cycle()
    with unit_of_work(sessions) as session:
        # An inconsistent lead: step 1 in the outbox, yet the lead says nothing is planned.
        session.execute(
            update(Lead).where(Lead.id == 2).values(steps_planned=0, next_step_at=days.clock.now)
        )
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.lead_id == 2)
            .values(status=OutreachStatus.planned)
        )
    add_leads(sessions, 2, start=3)
    days.clock.advance(days=1)
    report = days.cycle()
    assert [(e.phase, e.item) for e in report.errors] == [("schedule", "lead 2")]
    assert report.outreach_scheduled == 2
    with unit_of_work(sessions) as session:
        planned = set(session.scalars(select(OutreachMessage.lead_id)))
        noted = session.scalars(
            select(Event.details).where(Event.name == OutreachNotPlanned.name)
        ).all()
    assert planned == {1, 2, 3, 4, 5}
    assert [(d["lead_id"], d["step"]) for d in noted] == [(2, 1)]
