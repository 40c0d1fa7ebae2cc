"""The digest as a contract between engine and bot: what the day (or week) came to."""

from __future__ import annotations

import enum
from collections import Counter
from datetime import date, datetime
from typing import TypeVar

from pydantic import BaseModel, Field

from cam.core.models import Channel
from cam.replies.speed import SpeedToLead

K = TypeVar("K")


class DigestKind(enum.StrEnum):
    daily = "daily"
    weekly = "weekly"


class Funnel(BaseModel):
    """What happened in a period, counted by when it happened in the team's time zone.

    The lead counts are the cycle report's words: leads in, then each lead looked at is
    disqualified, below the campaign's bar, or enrolled (above the bar).
    """

    new_leads: int = 0
    disqualified: int = 0
    below_bar: int = 0
    enrolled: int = 0
    # Emails really sent, by campaign step (1 = first touch); dry runs in `simulated_by_step`.
    sent_by_step: dict[int, int] = Field(default_factory=dict)
    simulated_by_step: dict[int, int] = Field(default_factory=dict)
    tasks_done: int = 0
    tasks_skipped: int = 0
    replies_by_class: dict[str, int] = Field(default_factory=dict)
    escalated: int = 0
    bounced: int = 0
    unsubscribed: int = 0

    @property
    def sent(self) -> int:
        return sum(self.sent_by_step.values())

    @property
    def simulated(self) -> int:
        """Emails a dry run would have sent."""
        return sum(self.simulated_by_step.values())

    @property
    def contacted(self) -> int:
        """Leads who got their first email."""
        return self.sent_by_step.get(1, 0)

    @property
    def would_contact(self) -> int:
        """Leads a dry run would have sent their first email."""
        return self.simulated_by_step.get(1, 0)

    @property
    def interested(self) -> int:
        return self.replies_by_class.get("interested", 0)

    @property
    def replies(self) -> int:
        """Replies written by people: bounces are the mail system's, not the prospect's."""
        return sum(n for name, n in self.replies_by_class.items() if name != "bounce")

    def plus(self, other: Funnel) -> Funnel:
        """Return the sum of two periods."""
        return Funnel(
            new_leads=self.new_leads + other.new_leads,
            disqualified=self.disqualified + other.disqualified,
            below_bar=self.below_bar + other.below_bar,
            enrolled=self.enrolled + other.enrolled,
            sent_by_step=_add(self.sent_by_step, other.sent_by_step),
            simulated_by_step=_add(self.simulated_by_step, other.simulated_by_step),
            tasks_done=self.tasks_done + other.tasks_done,
            tasks_skipped=self.tasks_skipped + other.tasks_skipped,
            replies_by_class=_add(self.replies_by_class, other.replies_by_class),
            escalated=self.escalated + other.escalated,
            bounced=self.bounced + other.bounced,
            unsubscribed=self.unsubscribed + other.unsubscribed,
        )


def _add(left: dict[K, int], right: dict[K, int]) -> dict[K, int]:
    return dict(Counter(left) + Counter(right))


class DayPoint(BaseModel):
    """One day of the chart: sends (real and would-send), replies by class, bounces."""

    day: date
    sent: int
    simulated: int = 0
    replies: int
    interested: int
    question: int = 0
    not_interested: int = 0
    opt_out: int = 0
    bounces: int
    # Not one of the team's send days (its weekend): shaded on the chart.
    off: bool = False


class RepRow(BaseModel):
    """One sender mailbox (and its owner) over the digest's period."""

    mailbox: str
    # The owner's Slack user ID ("" when none is named).
    owner: str = ""
    sent: int = 0
    simulated: int = 0
    replies: int = 0
    interested: int = 0
    # Replies a person answered, and the median minutes from reply to answer: None until the
    # answers are recorded (shown as "—").
    answered: int | None = None
    median_answer_minutes: float | None = None
    bounces: int = 0
    opt_outs: int = 0
    cap_used: int = 0
    cap: int = 0
    # Emails sent and would-sends on each day of the chart (for its row per mailbox).
    daily_sent: list[int] = Field(default_factory=list)
    daily_simulated: list[int] = Field(default_factory=list)


class BounceReason(enum.StrEnum):
    user_unknown = "user_unknown"
    mailbox_full = "mailbox_full"
    blocked = "blocked"
    host_unknown = "host_unknown"
    suspended = "suspended"
    other = "other"


class DomainCount(BaseModel):
    domain: str
    count: int


class BounceGroup(BaseModel):
    """The period's bounces of one reason, and the domains with the most of them."""

    reason: BounceReason
    count: int
    domains: list[DomainCount] = Field(default_factory=list)


class RateName(enum.StrEnum):
    reply = "reply"
    positive = "positive"
    bounce = "bounce"
    unsubscribe = "unsubscribe"
    spam = "spam"


class Rate(BaseModel):
    """A share of the emails sent, with the line above which it is a warning."""

    name: RateName
    label: str
    count: int | None
    sent: int
    # Percent above which mailbox providers (or the list) are in trouble; None: no line.
    warn_above: float | None
    advice: str

    @property
    def percent(self) -> float | None:
        if self.count is None or self.sent == 0:
            return None
        return 100.0 * self.count / self.sent

    @property
    def warning(self) -> bool:
        percent = self.percent
        return percent is not None and self.warn_above is not None and percent > self.warn_above


class WaitingKind(enum.StrEnum):
    approval = "approval"
    reply = "reply"
    unknown_send = "unknown_send"
    task = "task"


class WaitingItem(BaseModel):
    """One thing a person has to act on, and where its Slack message is (if it has one)."""

    kind: WaitingKind
    label: str
    since: datetime
    slack_channel: str | None = None
    slack_ts: str | None = None


class Waiting(BaseModel):
    """Totals per kind (all of them) and the oldest items of each kind (a few)."""

    totals: dict[WaitingKind, int] = Field(default_factory=dict)
    oldest: dict[WaitingKind, datetime] = Field(default_factory=dict)
    items: list[WaitingItem] = Field(default_factory=list)


class ChannelUse(BaseModel):
    channel: Channel
    used_today: int
    cap_today: int
    # Planned steps already due but not sent: held back by a cap, the window or spacing.
    held_back: int
    # When the held-back steps can go: the next team day if today's cap is used up.
    held_until: datetime | None


class Unanswered(BaseModel):
    """An interested reply nobody has answered in the time the team allows."""

    reply_id: int
    lead_name: str
    mailbox: str
    landed_at: datetime
    due_at: datetime


class Digest(BaseModel):
    """The digest of one day, or of a week against the week before (Mondays)."""

    kind: DigestKind
    first_day: date
    last_day: date
    timezone: str
    generated_at: datetime
    dry_run: bool
    paused: bool
    funnel: Funnel
    # The period just before, as long as this one (week over week for the weekly digest).
    previous: Funnel
    rates: list[Rate]
    waiting: Waiting
    limits: list[ChannelUse]
    series: list[DayPoint]
    # Set when a sleeping process made the digest up late: the scheduled time it was due.
    due_at: datetime | None = None
    # Per sender mailbox, the most interested first.
    reps: list[RepRow] = Field(default_factory=list)
    bounce_reasons: list[BounceGroup] = Field(default_factory=list)
    # Bounce notices not trusted (no evidence they are about our mail).
    unverified_notices: int | None = None
    # Reply -> card, reply -> first decision, reply -> first answer, for the period.
    speed: SpeedToLead | None = None
    # Interested replies still unanswered past the time the team allows, oldest first.
    unanswered: list[Unanswered] = Field(default_factory=list)
