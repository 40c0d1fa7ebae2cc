"""The report every cycle returns: counters, skips, errors and timings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import StatementError

from cam.core.enums import Disqualification, Limit

MAX_ERROR_TEXT = 500
# Reports stored before the kinds were an enum counted them under these words.
_STORED_WORDS = {
    "with an invalid address": Disqualification.invalid_email,
    "on a blocked domain": Disqualification.blocked_domain,
    "who asked not to be contacted": Disqualification.suppressed_address,
    "at a company that asked not to be contacted": Disqualification.suppressed_domain,
}


class CycleError(BaseModel):
    phase: str
    item: str | None = None
    message: str


class CAMCycleReport(BaseModel):
    cycle_id: int | None = None
    dry_run: bool = True
    start: datetime
    end: datetime | None = None
    # Set when a sleeping process made the cycle up late: the scheduled time it was due.
    due_at: datetime | None = None
    leads_created: int = 0
    leads_processed: int = 0
    leads_disqualified: int = 0
    # How many of each kind of disqualification.
    disqualified_why: dict[Disqualification, int] = Field(default_factory=dict)
    # Scored leads that entered the campaign, and those that scored under its threshold.
    leads_enrolled: int = 0
    leads_below_threshold: int = 0
    outreach_scheduled: int = 0
    outreach_sent: int = 0
    followups_sent: int = 0
    simulated: int = 0
    tasks_created: int = 0
    # Keyed by `Limit` values; a report stored by an older version may hold other words.
    skipped_by_limits: dict[str, int] = Field(default_factory=dict)
    # For holds that end on a known day (planned for a later day): the first such day.
    held_until: dict[str, date] = Field(default_factory=dict)
    replies_detected: int = 0
    hot_leads_detected: int = 0
    # Mail-system notices not trusted (we never mailed whom they name): stored, nobody suppressed.
    unverified_notices: int = 0
    approvals_requested: int = 0
    unknown_outcomes: int = 0
    channels_not_configured: list[str] = Field(default_factory=list)
    phase_durations: dict[str, float] = Field(default_factory=dict)
    errors: list[CycleError] = Field(default_factory=list)

    @field_validator("disqualified_why", mode="before")
    @classmethod
    def _kinds_from_words(cls, value: Any) -> Any:
        """Read a report stored with words for keys as the kinds they name."""
        if not isinstance(value, dict):
            return value
        return {_STORED_WORDS.get(key, key): count for key, count in value.items()}

    def skip(self, reason: Limit, count: int = 1) -> None:
        """Count `count` messages held back by the limit `reason`."""
        self.skipped_by_limits[reason] = self.skipped_by_limits.get(reason, 0) + count

    def hold(self, reason: Limit, until: date) -> None:
        """Count one message planned for `until`, a later day, because of `reason`."""
        self.skip(reason)
        known = self.held_until.get(reason)
        self.held_until[reason] = until if known is None else min(known, until)

    def error(self, phase: str, message: str, item: str | None = None) -> None:
        self.errors.append(CycleError(phase=phase, item=item, message=message))


def describe(exc: BaseException) -> str:
    """Return a short, secret-free account of an error for the report."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        # The statement and its parameters are noise here (and could be long).
        text = f"{type(exc.orig).__name__}: {exc.orig}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text[:MAX_ERROR_TEXT]
