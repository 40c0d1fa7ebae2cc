"""The runtime switches (dry-run, paused), one row read and written in the caller's session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cam.models import RuntimeState


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
