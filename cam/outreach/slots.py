"""Send times for planned messages: inside the window, apart from each other, within caps."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core import safety
from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.enums import Limit
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import Channel, Lead, OutreachMessage
from cam.core.state import get_state
from cam.outreach import outbox_status, sender_mailboxes

TRIES_PER_WINDOW = 24

# Where sends queue: each email mailbox is a lane of its own, LinkedIn tasks one more.
Lane = tuple[Channel, str]


class SlotPlanner:
    """Hands out send times: inside the window, apart from each other, within daily caps.

    Email is planned per mailbox (its cap, warm-up, window and gap); the per-domain cap counts
    across mailboxes, so one company never hears from three of us on one day.
    """

    def __init__(self, session: Session, ctx: CycleContext, now: datetime) -> None:
        self.ctx = ctx
        self.now = now
        self.config: CAMCycleConfig = ctx.config
        self.senders = {sender.key: sender for sender in ctx.config.senders()}
        self.started_on = {key: sender_mailboxes.started_on(session, key) for key in self.senders}
        self.runtime_started_on = get_state(session).mailbox_started_on
        self.taken: dict[Lane, list[datetime]] = defaultdict(list)
        self.per_day: Counter[tuple[Lane, str]] = Counter()
        self.per_domain: Counter[tuple[str, str]] = Counter()
        gaps = [s.min_gap_seconds for s in self.senders.values()]
        since = now - timedelta(seconds=max(self.config.safety_settings.min_gap_seconds, *gaps))
        rows = session.execute(
            select(OutreachMessage.channel, OutreachMessage.scheduled_at, Lead.domain, Lead.mailbox)
            .join(Lead, Lead.id == OutreachMessage.lead_id)
            .where(
                OutreachMessage.status.in_(outbox_status.SLOT_TAKING),
                OutreachMessage.scheduled_at >= since,
            )
        )
        for channel, when, domain, mailbox in rows:
            self._take(self.lane(channel, mailbox), when, domain)
        for slots in self.taken.values():
            slots.sort()

    @staticmethod
    def lane(channel: Channel, mailbox: str | None) -> Lane:
        return (channel, (mailbox or DEFAULT_KEY) if channel is Channel.email else "")

    def _day(self, when: datetime) -> str:
        return safety.day_window(safety.team_day(when, self.config.timezone))

    def _take(self, lane: Lane, when: datetime, domain: str) -> None:
        bisect.insort(self.taken[lane], when)
        self.per_day[(lane, self._day(when))] += 1
        if lane[0] is Channel.email:
            self.per_domain[(domain, self._day(when))] += 1

    def _gap(self, lane: Lane) -> timedelta:
        sender = self.senders.get(lane[1])
        seconds = sender.min_gap_seconds if sender else self.config.safety_settings.min_gap_seconds
        return timedelta(seconds=seconds)

    def _free(self, lane: Lane, when: datetime) -> bool:
        slots = self.taken[lane]
        at = bisect.bisect_left(slots, when)
        neighbours = slots[max(at - 1, 0) : at + 1]
        gap = self._gap(lane)
        return all(abs(when - other) >= gap for other in neighbours)

    def _cap(self, lane: Lane, day: date) -> int:
        if lane[0] is not Channel.email:
            settings = self.config.safety_settings
            return safety.channel_cap(settings, lane[0], day, self.runtime_started_on)
        sender = self.senders[lane[1]]
        start = self.started_on[lane[1]]
        return sender.limits.cap_on_day((day - start).days if start is not None else 0)

    def _room(self, lane: Lane, when: datetime, domain: str) -> bool:
        day = safety.team_day(when, self.config.timezone)
        window = safety.day_window(day)
        if lane[0] is Channel.email and (
            self.per_domain[(domain, window)] >= self.config.safety_settings.per_domain_daily_cap
        ):
            return False
        return self.per_day[(lane, window)] < self._cap(lane, day)

    def why_not_today(self, channel: Channel, domain: str, mailbox: str | None = None) -> Limit:
        """Name what kept a message off today: a daily cap, else today's window (over or shut)."""
        lane = self.lane(channel, mailbox)
        today = safety.team_day(self.now, self.config.timezone)
        window = safety.day_window(today)
        per_domain = self.config.safety_settings.per_domain_daily_cap
        if channel is Channel.email and self.per_domain[(domain, window)] >= per_domain:
            return Limit.domain_daily_cap
        if self.per_day[(lane, window)] >= self._cap(lane, today):
            return Limit.daily_cap(channel)
        return Limit.send_window

    def pick(
        self, channel: Channel, lead_timezone: str | None, domain: str, mailbox: str | None = None
    ) -> datetime | None:
        """Return a free moment for one message, or None if two weeks are full.

        A day is full for the lane at its cap, and for an email domain at the per-domain
        cap, so what is planned for a day can all go out that day. An email whose mailbox the
        team no longer has gets no moment.
        """
        lane = self.lane(channel, mailbox)
        sender = self.senders.get(lane[1])
        if channel is Channel.email and sender is None:
            return None
        tz = safety.zone(lead_timezone, self.config.timezone)
        window = sender.window if sender else self.config.safety_settings.send_window
        for start, end in safety.windows_from(self.now, tz, window):
            span = (end - start).total_seconds()
            for _ in range(TRIES_PER_WINDOW):
                when = start + timedelta(seconds=int(self.ctx.rng.uniform(0, span)))
                if when < end and self._room(lane, when, domain) and self._free(lane, when):
                    self._take(lane, when, domain)
                    return when
        return None
