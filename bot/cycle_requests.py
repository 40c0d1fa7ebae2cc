"""`/cam run` asked from Slack: checked and claimed in the request's transaction, before the ack.

The switches, who asks, and the lease that keeps one cycle from Slack at a time across
instances are read and taken together, so no other command changes them in between.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.settings import BotSettings
from cam.bootstrap import ProcessConfig
from cam.core import leases, state
from cam.core.config import CAMCycleConfig
from cam.core.enums import SendMode

MANUAL_CYCLE_LEASE = "manual_cycle"
# Renewed while the cycle runs, so a crashed instance frees it within a minute.
MANUAL_CYCLE_TTL = timedelta(minutes=1)


class RunRequest(enum.StrEnum):
    """What asking for a cycle led to."""

    started = "started"
    paused = "paused"
    not_live = "not_live"  # a live cycle before going live was approved
    not_an_approver = "not_an_approver"  # a live cycle asked by someone else
    busy = "busy"  # a cycle from Slack is running already


@dataclass(frozen=True)
class Requested:
    outcome: RunRequest
    # With `started`: the cycle's config and the lease's holder, renewed while it runs.
    config: CAMCycleConfig | None = None
    holder: str = ""


def request_run(
    session: Session, settings: BotSettings, process: ProcessConfig, *, by: str, dry: bool
) -> Requested:
    """Check that `by` may run a cycle now (dry when asked) and take the lease if so.

    The lease holds once the session commits: before the cycle starts.
    """
    holder = f"{settings.instance_name}:{by}:{uuid.uuid4().hex}"[:200]
    current = state.get_state(session)
    if current.paused:
        return Requested(RunRequest.paused)
    if not dry and current.dry_run:
        return Requested(RunRequest.not_live)
    if not dry and by not in settings.approver_ids:
        return Requested(RunRequest.not_an_approver)
    if not leases.take(session, MANUAL_CYCLE_LEASE, holder, MANUAL_CYCLE_TTL):
        return Requested(RunRequest.busy)
    config = process.config_in(SendMode.of(dry))
    return Requested(RunRequest.started, config, holder)
