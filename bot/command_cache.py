"""The answers to `/cam limits` and `/cam status`, kept in memory between database reads.

A quick command must answer in a few milliseconds under load, less than the database and
Block Kit rendering take (about 10 ms of CPU a request, and the interpreter runs one request
at a time). So each answer is computed from the database at most about once a second and
served from memory meanwhile:

- fresh (younger than `fresh_for`): served as is;
- stale but younger than `stale_for`: served as is while one background thread recomputes it;
- older, never computed, or invalidated: computed in the request.

This process invalidates both answers after every change it makes (switches, decisions,
cycles): listeners and services write through `invalidating(...)`'s session factory, whose
commits that wrote anything invalidate them, so whoever acts sees the change at once. A change
made by another instance or by the scheduler shows within `fresh_for` plus one read.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from bot import queries
from bot.blocks.common import to_dicts
from bot.blocks.limits import limits_blocks, limits_text
from bot.blocks.status import status_blocks, status_text
from bot.live_config import LiveConfig
from cam.bootstrap import ProcessConfig
from cam.core import state
from cam.core.db import SessionFactory, unit_of_work
from cam.outreach.limits import limits_snapshot

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    key: Hashable
    at: float
    generation: int


class CachedAnswer(Generic[T]):
    """One answer: `compute(key)` from the database, reused while `key()` gives the same key."""

    def __init__(
        self,
        compute: Callable[[Any], T],
        *,
        key: Callable[[], Hashable] = lambda: None,
        fresh_for: float = 1.0,
        stale_for: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._compute = compute
        self._key = key
        self._fresh_for = fresh_for
        self._stale_for = stale_for
        self._clock = clock
        self._lock = threading.Lock()
        self._entry: _Entry[T] | None = None
        self._generation = 0
        self._refreshing = False

    def get(self) -> T:
        key = self._key()
        with self._lock:
            entry = self._entry
            usable = entry is not None and entry.generation == self._generation
            if entry is not None and usable and entry.key == key:
                age = self._clock() - entry.at
                if age < self._fresh_for:
                    return entry.value
                if age < self._stale_for:
                    if not self._refreshing:
                        self._refreshing = True
                        threading.Thread(
                            target=self._refresh, args=(key,), name="cam-answer", daemon=True
                        ).start()
                    return entry.value
        return self._recompute(key)

    def invalidate(self) -> None:
        """Forget the answer: the next request computes it again from the database."""
        with self._lock:
            self._generation += 1

    def _recompute(self, key: Hashable) -> T:
        with self._lock:
            generation = self._generation
        value = self._compute(key)
        with self._lock:
            # A value read before an invalidation is kept but not trusted.
            self._entry = _Entry(value, key, self._clock(), generation)
        return value

    def _refresh(self, key: Hashable) -> None:
        try:
            self._recompute(key)
        except Exception:
            log.exception("refreshing a cached answer failed; the next request recomputes it")
            self.invalidate()
        finally:
            with self._lock:
                self._refreshing = False


def ack_body(text: str, blocks: list[dict[str, Any]]) -> str:
    """The answer as the ack's JSON body, shown only to whoever asked: encoded once per
    computation, not once per request (about a tenth of a bare Bolt app's CPU per request)."""
    whole = {"response_type": "ephemeral", "text": text, "blocks": blocks}
    return json.dumps(whole, separators=(",", ":"))


class Answers:
    """The two quick answers of one app, read from its database, as the ack's JSON body."""

    def __init__(
        self,
        config: LiveConfig,
        session_factory: SessionFactory,
        *,
        clock: Callable[[], datetime],
        next_run_time: Callable[[], datetime | None],
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        # The caps are the files': a reload (a new process config) means a new answer.
        self.limits: CachedAnswer[str] = CachedAnswer(self._limits, key=lambda: config.process)
        # The next run is part of the status: a new one (a job fired) means a new answer.
        self.status: CachedAnswer[str] = CachedAnswer(self._status, key=next_run_time)

    def invalidate(self) -> None:
        self.limits.invalidate()
        self.status.invalidate()

    def _limits(self, process: ProcessConfig) -> str:
        with unit_of_work(self._session_factory) as session:
            config = process.cycle_config(state.get_state(session))
            snapshot = limits_snapshot(session, config, self._clock())
        return ack_body(limits_text(snapshot), to_dicts(limits_blocks(snapshot)))

    def _status(self, next_run: object) -> str:
        with unit_of_work(self._session_factory) as session:
            status = queries.status(session, next_run if isinstance(next_run, datetime) else None)
        return ack_body(status_text(status), to_dicts(status_blocks(status)))


_WROTE = "cam_wrote"


def invalidating(session_factory: SessionFactory, on_change: Callable[[], None]) -> SessionFactory:
    """A factory like `session_factory` whose commits that wrote anything call `on_change`.

    The one place the answers are invalidated: a listener cannot forget it. Read-only
    transactions (the answers' own, `/cam help`) leave the cache alone.
    """
    factory: SessionFactory = sessionmaker(class_=session_factory.class_, **session_factory.kw)

    def wrote(session: Session) -> None:
        session.info[_WROTE] = True

    def on_execute(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            wrote(state.session)

    def on_flush(session: Session, _flush: UOWTransaction) -> None:
        wrote(session)

    def on_commit(session: Session) -> None:
        if session.info.pop(_WROTE, False):
            on_change()

    def on_rollback(session: Session) -> None:
        session.info.pop(_WROTE, None)

    event.listen(factory, "do_orm_execute", on_execute)
    event.listen(factory, "after_flush", on_flush)
    event.listen(factory, "after_commit", on_commit)
    event.listen(factory, "after_rollback", on_rollback)
    return factory
