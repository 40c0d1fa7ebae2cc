"""How each mailbox is being watched, kept in the database so that every instance can show it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import bulk
from cam.core.models import MailboxWatch, WatchMode


def record_read(
    session: Session, *, mailbox: str, mode: WatchMode, holder: str, now: datetime
) -> None:
    """Note that `mailbox` was read up to date at `now`, watched in `mode`."""
    _upsert(
        session,
        {"mailbox": mailbox, "mode": mode, "holder": holder, "last_read_at": now},
        now,
        clear_error=True,
    )


def record_error(
    session: Session, *, mailbox: str, mode: WatchMode, holder: str, error: str, now: datetime
) -> None:
    """Note why `mailbox` cannot be read just now; its last good read stays."""
    _upsert(
        session,
        {"mailbox": mailbox, "mode": mode, "holder": holder, "last_error": error[:1000]},
        now,
        clear_error=False,
    )


def watched(session: Session) -> list[MailboxWatch]:
    """Every mailbox a watcher has read, by name."""
    return list(session.scalars(select(MailboxWatch).order_by(MailboxWatch.mailbox)))


def _upsert(
    session: Session, values: dict[str, object], now: datetime, *, clear_error: bool
) -> None:
    row = {**values, "updated_at": now}
    if clear_error:
        row["last_error"] = None
    bulk.upsert(session, MailboxWatch, row, key=["mailbox"])
