"""The engine's own records: runs, events, switches, the notification outbox, leases,
request nonces, mailbox watches and digests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from cam.core.columns import Base, utcnow
from cam.core.enums import NotificationStatus, RunKind, RunStatus, SendMode, WatchMode


def _run_enum(kind: type[enum.Enum]) -> SAEnum:
    """VARCHAR(20) as the first migration made these columns, read back as the enum."""
    return SAEnum(kind, native_enum=False, length=20, validate_strings=True)


class CycleRun(Base):
    __tablename__ = "cycle_runs"
    # One run per (kind, scheduled time): several instances race to insert, one wins.
    __table_args__ = (UniqueConstraint("kind", "slot", name="uq_cycle_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RunKind] = mapped_column(_run_enum(RunKind), default=RunKind.daily)
    slot: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(40), default="manual")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[RunStatus] = mapped_column(_run_enum(RunStatus), default=RunStatus.running)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    cycle_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RuntimeState(Base):
    """The single row of switches a team flips at run time."""

    __tablename__ = "runtime_state"

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    live_since: Mapped[datetime | None]
    # First day the mailbox sent for real: the warm-up ramp counts from it.
    mailbox_started_on: Mapped[date | None]
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def mode(self) -> SendMode:
        return SendMode.of(self.dry_run)


class MailboxState(Base):
    """What the team decided about one sender mailbox at run time: paused alone, warm-up start.

    The `default` mailbox (a team without a mailboxes file) keeps its warm-up start in
    `RuntimeState.mailbox_started_on`, as before there were several.
    """

    __tablename__ = "mailbox_states"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_by: Mapped[str | None] = mapped_column(String(100))
    # First day the mailbox sent for real: its warm-up ramp counts from it.
    started_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    """A message for people (report, approval, task), kept until delivered, in order."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    status: Mapped[NotificationStatus] = mapped_column(
        default=NotificationStatus.pending, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    channel: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class JobLease(Base):
    """A lease on a scheduled job, so that among several instances one runs it at a time."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class RequestNonce(Base):
    """A signed Slack request already served, kept while its signature could be replayed."""

    __tablename__ = "request_nonces"

    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class MailboxWatch(Base):
    """How the reply watcher reads a mailbox, for every instance's `/cam status` to show."""

    __tablename__ = "mailbox_watches"

    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    mode: Mapped[WatchMode]
    holder: Mapped[str] = mapped_column(String(200))
    last_read_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestRun(Base):
    """A digest as it was counted and posted: the scheduled one at most once per slot."""

    __tablename__ = "digest_runs"
    # Several instances race to insert the digest of a scheduled time; one wins.
    __table_args__ = (UniqueConstraint("slot", name="uq_digest_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The scheduled time (UTC, ISO); none for a digest someone asked for.
    slot: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(40))
    last_day: Mapped[date]
    digest: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
