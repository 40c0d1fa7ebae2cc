"""Exponential backoff: how long to wait before trying again, in one place.

Every retry of ours takes its delay from `Backoff`: those in the process (the reply watcher,
the notifier, the HTTP client, the bot's Slack token check) and those stored in the database as
a time to try again (a send the mail server deferred). The delay doubles with each failure in a
row, up to a cap; jitter, when asked for, spreads instances that failed together so they do not
come back together. Callers keep their own sleep and clock (both injected), and may pass the
random source, so tests choose all three.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# Past 2**64 times the first delay any cap has long been reached; it also keeps the float finite.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class Backoff:
    """Wait `first` seconds after the first failure, `factor` times longer after each next one,
    never more than `cap`; `jitter` (0 to 1) takes up to that share off each wait at random."""

    first: float
    cap: float | None = None
    factor: float = 2.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.first < 0 or (self.cap is not None and self.cap < 0):
            raise ValueError("a backoff cannot wait a negative time")
        if self.factor < 1:
            raise ValueError("a backoff never shortens its wait")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a share of the wait, from 0 to 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failure number `attempt` in a row (1 for the first)."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        wait = self.first * self.factor**exponent
        if self.cap is not None:
            wait = min(wait, self.cap)
        if self.jitter:
            wait -= wait * self.jitter * (rng.random() if rng is not None else random.random())
        return wait

    def delta(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        """The same delay as a `timedelta`, for a retry time stored with the row."""
        return timedelta(seconds=self.delay(attempt, rng))

    def after(self, attempt: int, now: datetime, rng: random.Random | None = None) -> datetime:
        """When to try again, counted from `now` (the caller's clock)."""
        return now + self.delta(attempt, rng)
