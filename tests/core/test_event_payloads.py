"""Events read back by someone carry their model: writing a bare dict or another model fails,
and the reader can only name a field the model has."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cam.core import events
from cam.core.db import unit_of_work
from cam.core.enums import Disqualification
from cam.core.models import Event
from cam.core.report import CAMCycleReport


def test_a_registered_event_stores_its_model_and_refuses_anything_else(sessions):
    payload = events.LeadsProcessed(processed=3, disqualified=1, scored=2)
    with unit_of_work(sessions) as session:
        events.record(session, events.LEADS_PROCESSED, payload, cycle_id=None)
        with pytest.raises(events.WrongPayload):
            events.record(session, events.LEADS_PROCESSED, {"processed": 3, "scored": 2})
    with unit_of_work(sessions) as session:
        total = session.scalar(
            select(events.field(events.LEADS_PROCESSED, "scored")).where(
                Event.name == events.LEADS_PROCESSED
            )
        )
        stored = session.scalars(select(Event.details)).one()
    assert total == 2
    assert events.LeadsProcessed.model_validate(stored) == payload


def test_only_a_field_of_the_model_can_be_read_in_sql():
    with pytest.raises(events.WrongPayload):
        events.field(events.LEADS_PROCESSED, "qualified")
    with pytest.raises(events.WrongPayload):
        events.field(events.CYCLE_STARTED, "scored")


def test_a_report_stored_with_words_reads_back_as_kinds():
    stored = {"start": "2026-11-25T08:00:00Z", "disqualified_why": {"on a blocked domain": 2}}
    report = CAMCycleReport.model_validate(stored)
    assert report.disqualified_why == {Disqualification.blocked_domain: 2}
    assert CAMCycleReport.model_validate(report.model_dump(mode="json")) == report
