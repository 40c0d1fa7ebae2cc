"""The runtime switches: dry-run and pause, each change an event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cam.core.db import unit_of_work
from cam.core.event_payloads import StateChanged
from cam.core.models import Event
from cam.core.state import get_state, set_dry_run, set_paused
from tests.escalation.helpers import NOW


def state_events(sessions) -> list[dict[str, Any]]:
    with unit_of_work(sessions) as session:
        query = select(Event).where(Event.name == StateChanged.name).order_by(Event.id)
        return [e.details for e in session.scalars(query)]


def test_going_live_starts_the_warm_up_once(sessions):
    with unit_of_work(sessions) as session:
        set_dry_run(session, dry_run=False, by="U_ANA", now=NOW)
    later = NOW + timedelta(days=3)
    with unit_of_work(sessions) as session:
        set_dry_run(session, dry_run=True, by="U_BOB", now=later)
        assert get_state(session).live_since is None
    with unit_of_work(sessions) as session:
        state = set_dry_run(session, dry_run=False, by="U_ANA", now=later)

    assert state.live_since == later
    assert state.mailbox_started_on == NOW.date()  # the ramp keeps counting from day one
    assert state_events(sessions) == [
        {"by": "U_ANA", "dry_run": False},
        {"by": "U_BOB", "dry_run": True},
        {"by": "U_ANA", "dry_run": False},
    ]


def test_no_change_no_event(sessions):
    with unit_of_work(sessions) as session:
        set_dry_run(session, dry_run=True, by="U_ANA", now=NOW)
        set_paused(session, paused=False, by="U_ANA", now=NOW)

    assert state_events(sessions) == []


def test_pause_and_resume(sessions):
    with unit_of_work(sessions) as session:
        assert set_paused(session, paused=True, by="U_BOB", now=NOW).paused is True
    with unit_of_work(sessions) as session:
        assert get_state(session).paused is True
        assert get_state(session).updated_by == "U_BOB"
        set_paused(session, paused=False, by="U_ANA", now=NOW)
    with unit_of_work(sessions) as session:
        assert get_state(session).paused is False

    assert state_events(sessions) == [
        {"by": "U_BOB", "paused": True},
        {"by": "U_ANA", "paused": False},
    ]
