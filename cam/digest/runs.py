"""Count a digest and queue it for Slack: once per scheduled slot, however many instances.

The digest is stored with its notification in one transaction, as counted: a post retried
later shows the numbers of its slot, and the chart is drawn from the same stored series.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import DigestRun, NotificationTopic
from cam.core.notices import DigestPayload, notice
from cam.core.safety import team_day
from cam.digest.build import build_digest
from cam.digest.model import Digest, DigestKind

log = logging.getLogger(__name__)

MONDAY = 0


def kind_on(day: date) -> DigestKind:
    """The week in review on Mondays, the day's digest otherwise."""
    return DigestKind.weekly if day.weekday() == MONDAY else DigestKind.daily


def queue_digest(
    session_factory: SessionFactory, digest: Digest, *, slot: str | None, trigger: str
) -> int | None:
    """Store `digest` and its notification; None when another instance has the slot."""
    try:
        with unit_of_work(session_factory) as session:
            run = DigestRun(
                kind=digest.kind.value,
                slot=slot,
                trigger=trigger[:40],
                last_day=digest.last_day,
                digest=digest.model_dump(mode="json"),
                created_at=digest.generated_at,
            )
            session.add(run)
            session.flush()
            session.add(notice(NotificationTopic.digest, DigestPayload(digest_id=run.id)))
    except IntegrityError:
        log.info("digest of slot %s is already queued by another instance", slot)
        return None
    return run.id


def queue_scheduled(
    session_factory: SessionFactory,
    config: CAMCycleConfig,
    *,
    slot: str,
    now: datetime,
    late: bool = False,
) -> int | None:
    """Count and queue the digest of a scheduled `slot` unless it is taken; a `late` one
    (made up after a sleeping process missed it) says when it was due."""
    with unit_of_work(session_factory) as session:
        if session.scalar(select(DigestRun.id).where(DigestRun.slot == slot)) is not None:
            return None
        due = datetime.fromisoformat(slot)
        day = team_day(due, config.timezone)
        digest = build_digest(session, config=config, now=now, day=day, kind=kind_on(day))
    if late:
        digest.due_at = due
    return queue_digest(session_factory, digest, slot=slot, trigger="schedule")


def last_queued(session: Session) -> datetime | None:
    """When the latest digest (scheduled or asked for) was counted; None if never."""
    return session.scalar(select(func.max(DigestRun.created_at)))


def load_digest(session: Session, digest_id: int) -> Digest | None:
    """Return a stored digest, or None when it is gone."""
    run = session.get(DigestRun, digest_id)
    return None if run is None else Digest.model_validate(run.digest)
