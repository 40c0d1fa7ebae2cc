"""Leases on named jobs, so that among several instances on one database one runs each job.

A lease is a row in `job_leases`. Taking it is a single INSERT ... ON CONFLICT DO UPDATE whose
update only happens when the lease has expired or is already ours: the database decides, in one
statement, on SQLite and PostgreSQL alike. A holder that dies leaves a lease that simply expires.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import JobLease, utcnow

log = logging.getLogger(__name__)


def acquire(
    session_factory: SessionFactory,
    name: str,
    holder: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take (or renew) the lease `name` for `holder` until `now + ttl`; True if it is ours."""
    now = now or utcnow()
    with unit_of_work(session_factory) as session:
        insert = _insert_for(session)
        stmt = insert(JobLease).values(name=name, holder=holder, expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[JobLease.name],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
            where=or_(JobLease.expires_at <= now, JobLease.holder == holder),
        ).returning(JobLease.name)
        # A row comes back only when the insert or the conditional update happened.
        taken = session.execute(stmt).first() is not None
    log.debug("lease %s %s by %s", name, "taken" if taken else "busy", holder)
    return taken


def release(session_factory: SessionFactory, name: str, holder: str) -> bool:
    """Give the lease back if `holder` still holds it; True if it did."""
    with unit_of_work(session_factory) as session:
        stmt = delete(JobLease).where(JobLease.name == name, JobLease.holder == holder)
        return session.execute(stmt.returning(JobLease.name)).first() is not None


@contextmanager
def held(session_factory: SessionFactory, name: str, holder: str, ttl: timedelta) -> Iterator[bool]:
    """Hold the lease for the `with` block if it can be taken; yield whether it was."""
    taken = acquire(session_factory, name, holder, ttl)
    try:
        yield taken
    finally:
        if taken:
            release(session_factory, name, holder)


def _insert_for(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
