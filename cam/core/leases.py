"""Leases on named jobs, so that among several instances on one database one runs each job.

A lease is a row in `job_leases`. Taking it is a single INSERT ... ON CONFLICT DO UPDATE whose
update only happens when the lease has expired or is already ours: the database decides, in one
statement, on SQLite and PostgreSQL alike. A holder that dies leaves a lease that simply expires.

A job that may run long holds a short lease and renews it from a thread while it runs
(`renewed`): a process killed mid-job then blocks the others for one short TTL, not for the
longest the job could take.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cam.core import bulk
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
    with unit_of_work(session_factory) as session:
        return take(session, name, holder, ttl, now)


def take(
    session: Session, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """`acquire` inside the caller's transaction: the lease is ours once it commits."""
    now = now or utcnow()
    # A row comes back only when the insert or the conditional update happened.
    taken = bool(
        bulk.upsert(
            session,
            JobLease,
            {"name": name, "holder": holder, "expires_at": now + ttl},
            key=["name"],
            where=or_(JobLease.expires_at <= now, JobLease.holder == holder),
            returning=[JobLease.name],
        )
    )
    log.debug("lease %s %s by %s", name, "taken" if taken else "busy", holder)
    return taken


def release(session_factory: SessionFactory, name: str, holder: str) -> bool:
    """Give the lease back if `holder` still holds it; True if it did."""
    with unit_of_work(session_factory) as session:
        stmt = delete(JobLease).where(JobLease.name == name, JobLease.holder == holder)
        return session.execute(stmt.returning(JobLease.name)).first() is not None


@contextmanager
def held(
    session_factory: SessionFactory,
    name: str,
    holder: str,
    ttl: timedelta,
    *,
    renew: bool = False,
    clock: Callable[[], datetime] = utcnow,
    every: timedelta | None = None,
) -> Iterator[bool]:
    """Hold the lease for the `with` block if it can be taken; yield whether it was.

    With `renew`, the lease is renewed every `every` (a third of `ttl`) while the block runs.
    """
    taken = acquire(session_factory, name, holder, ttl, clock())
    if not taken:
        yield False
        return
    if not renew:
        try:
            yield True
        finally:
            release(session_factory, name, holder)
        return
    with renewed(session_factory, name, holder, ttl, clock=clock, every=every):
        yield True


@contextmanager
def renewed(
    session_factory: SessionFactory,
    name: str,
    holder: str,
    ttl: timedelta,
    *,
    clock: Callable[[], datetime] = utcnow,
    every: timedelta | None = None,
) -> Iterator[None]:
    """Renew `holder`'s lease every `every` (a third of `ttl`) while the block runs; release
    it after."""
    stop = threading.Event()
    beat = (every or ttl / 3).total_seconds()

    def renew() -> None:
        while not stop.wait(beat):
            try:
                if not acquire(session_factory, name, holder, ttl, clock()):
                    log.warning("lease %s was taken from %s while it ran", name, holder)
                    return
            except SQLAlchemyError as exc:  # the database blinked: try again at the next beat
                log.warning("lease %s not renewed: %s", name, type(exc).__name__)

    thread = threading.Thread(target=renew, name=f"lease:{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        release(session_factory, name, holder)
