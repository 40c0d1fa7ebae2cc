"""Going live after days of dry run: planning goes on, and no step overtakes the one before."""

from __future__ import annotations

from collections import defaultdict
from datetime import time

import pytest
from sqlalchemy import select, update

from cam.core import events
from cam.core.db import unit_of_work
from cam.core.models import Event, Lead, OutreachMessage, OutreachStatus
from tests.engine.days import TeamDays
from tests.engine.helpers import RecordingEmailSender, add_leads, gateways


def out_of_order(days: TeamDays) -> list[str]:
    """Name each step that went out before the step before it really had."""
    with unit_of_work(days.sessions) as session:
        rows = session.scalars(select(OutreachMessage)).all()
    by_lead: dict[int, dict[int, OutreachMessage]] = defaultdict(dict)
    for row in rows:
        by_lead[row.lead_id][row.step] = row
    wrong = []
    for lead_id, steps in by_lead.items():
        for number, row in steps.items():
            if row.status is not OutreachStatus.sent or number == 1:
                continue
            before = steps.get(number - 1)
            if before is None or before.status is not OutreachStatus.sent:
                wrong.append(f"lead {lead_id} step {number} before step {number - 1} went out")
            elif before.sent_at is None or row.sent_at is None or before.sent_at > row.sent_at:
                wrong.append(f"lead {lead_id} step {number} sent before step {number - 1}")
    return wrong


def first_steps_sent(days: TeamDays) -> set[int]:
    with unit_of_work(days.sessions) as session:
        return set(
            session.scalars(
                select(OutreachMessage.lead_id).where(
                    OutreachMessage.step == 1, OutreachMessage.status == OutreachStatus.sent
                )
            )
        )


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
    assert out_of_order(days) == []
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
            select(Event.details).where(Event.name == events.OUTREACH_NOT_PLANNED)
        ).all()
    assert planned == {1, 2, 3, 4, 5}
    assert [(d["lead_id"], d["step"]) for d in noted] == [(2, 1)]
