"""The runtime switches (dry-run, paused), one row read and written in the caller's session."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.event_payloads import StateChanged
from cam.core.models import RuntimeState, utcnow


def get_state(session: Session, *, for_update: bool = False) -> RuntimeState:
    """Return the single state row, creating it (dry-run on, not paused) on first use."""
    query = select(RuntimeState).where(RuntimeState.id == 1)
    if for_update:
        query = query.with_for_update()
    state = session.scalars(query).one_or_none()
    if state is not None:
        return state
    try:
        with session.begin_nested():
            state = RuntimeState(id=1, dry_run=True, paused=False)
            session.add(state)
    except IntegrityError:
        state = session.scalars(query).one()
    return state


def set_dry_run(
    session: Session, *, dry_run: bool, by: str, now: datetime | None = None
) -> RuntimeState:
    """Switch dry-run on or off; going live starts the clock of the mailbox warm-up ramp."""
    now = now or utcnow()
    state = get_state(session, for_update=True)
    if state.dry_run == dry_run:
        return state
    state.dry_run = dry_run
    if dry_run:
        state.live_since = None
    else:
        state.live_since = now
        if state.mailbox_started_on is None:
            state.mailbox_started_on = now.astimezone(UTC).date()
    _changed(session, state, by, now, dry_run=dry_run)
    return state


def set_paused(
    session: Session, *, paused: bool, by: str, now: datetime | None = None
) -> RuntimeState:
    """Pull or release the kill switch: a paused team runs no cycle and sends nothing."""
    now = now or utcnow()
    state = get_state(session, for_update=True)
    if state.paused == paused:
        return state
    state.paused = paused
    _changed(session, state, by, now, paused=paused)
    return state


def _changed(session: Session, state: RuntimeState, by: str, now: datetime, **change: bool) -> None:
    state.updated_by = by
    state.updated_at = now
    events.record(session, StateChanged(by=by, **change))
