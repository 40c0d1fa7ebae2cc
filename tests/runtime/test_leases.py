"""Job leases on SQLite and PostgreSQL: one holder at a time, expiry, renewal, release."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cam.core import leases
from cam.core.db import make_engine, session_factory
from cam.core.models import JobLease

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


def test_one_holder_until_the_lease_expires(sessions):
    assert leases.acquire(sessions, "send", "a", TTL, T0)
    assert not leases.acquire(sessions, "send", "b", TTL, T0 + timedelta(minutes=1))
    # Another job's lease is independent.
    assert leases.acquire(sessions, "cycle", "b", TTL, T0)
    # Expired: anyone may take it.
    assert leases.acquire(sessions, "send", "b", TTL, T0 + TTL)
    assert not leases.acquire(sessions, "send", "a", TTL, T0 + TTL)
    with sessions() as session:
        lease = session.get(JobLease, "send")
        assert lease is not None
        assert lease.holder == "b"
        assert lease.expires_at == T0 + 2 * TTL


def test_the_holder_renews_and_releases(sessions):
    assert leases.acquire(sessions, "send", "a", TTL, T0)
    assert leases.acquire(sessions, "send", "a", TTL, T0 + timedelta(minutes=4))
    assert not leases.acquire(sessions, "send", "b", TTL, T0 + timedelta(minutes=6))
    assert not leases.release(sessions, "send", "b")
    assert leases.release(sessions, "send", "a")
    assert not leases.release(sessions, "send", "a")
    assert leases.acquire(sessions, "send", "b", TTL, T0 + timedelta(minutes=6))


def test_held_releases_after_the_block(sessions):
    with leases.held(sessions, "send", "a", TTL) as taken:
        assert taken
        with leases.held(sessions, "send", "b", TTL) as other:
            assert not other
        # The loser did not release the winner's lease.
        assert not leases.acquire(sessions, "send", "c", TTL)
    assert leases.acquire(sessions, "send", "c", TTL)


def test_concurrent_takers_get_one_lease(sessions):
    holders = [f"h{i}" for i in range(8)]
    won: list[str] = []
    barrier = threading.Barrier(len(holders))

    def take(holder: str) -> None:
        barrier.wait()
        if leases.acquire(sessions, "cycle", holder, TTL, T0):
            won.append(holder)

    threads = [threading.Thread(target=take, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    with sessions() as session:
        assert session.scalars(select(JobLease.holder)).all() == won


def _hold_until_killed(db_url: str, ready: Any, clock_seconds: Any) -> None:
    """Child process: hold the lease, renewed, until SIGKILL; its clock is the parent's."""
    engine = make_engine(db_url)

    def clock() -> datetime:
        return T0 + timedelta(seconds=clock_seconds.value)

    with leases.held(
        session_factory(engine), "send", "doomed", TTL, renew=True, clock=clock, every=BEAT
    ) as ours:
        ready.put(ours)
        time.sleep(600)


# The renewing thread wakes this often; what it renews to is told by the shared clock.
BEAT = timedelta(seconds=0.02)


def expiry_of(sessions, name: str) -> datetime | None:
    with sessions() as session:
        lease = session.get(JobLease, name)
        return None if lease is None else lease.expires_at


def test_a_renewed_lease_outlives_its_ttl_and_frees_soon_after_its_holder_is_killed(
    sessions, db_url
):
    context = multiprocessing.get_context("fork")
    ready = context.Queue()
    clock_seconds = context.Value("d", 0.0)
    child = context.Process(
        target=_hold_until_killed, args=(db_url, ready, clock_seconds), daemon=True
    )
    child.start()
    try:
        assert ready.get(timeout=30) is True
        assert expiry_of(sessions, "send") == T0 + TTL
        # Three TTLs pass: the lease is alive only because it is renewed.
        clock_seconds.value = 3 * TTL.total_seconds()
        renewed_until = T0 + 4 * TTL
        deadline = time.monotonic() + 30
        while expiry_of(sessions, "send") != renewed_until:
            assert time.monotonic() < deadline, "the holder never renewed its lease"
            time.sleep(BEAT.total_seconds())
        assert not leases.acquire(sessions, "send", "next", TTL, T0 + 3 * TTL)
    finally:
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(timeout=10)
    # Killed, it renews no more: the lease frees when its last renewal runs out, one TTL on.
    assert not leases.acquire(sessions, "send", "next", TTL, renewed_until - timedelta(seconds=1))
    assert leases.acquire(sessions, "send", "next", TTL, renewed_until)
