"""A team's days on a fake clock: the daily cycle at 09:05, then send passes through the day.

The mode (dry run or live) is read from the runtime state before each run, as the scheduler
does, so a test switches it with `set_dry_run` between days.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import OutreachMessage, OutreachStatus
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport
from cam.core.state import get_state, set_dry_run
from cam.cycle import run_daily_cam_cycle, run_send_pass
from tests.outreach.helpers import Clock, config

# Monday 23 November 2026, midnight UTC: day 0 of every run starts on a Monday.
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
CYCLE_AT = time(9, 5)
PASS_EVERY = timedelta(minutes=20)
LAST_PASS = time(17, 0)
# Rows that reached (or may have reached) the recipient.
WENT_OUT = (OutreachStatus.sent, OutreachStatus.sending, OutreachStatus.unknown)


@dataclass
class TeamDays:
    """Runs cycles and send passes the way `cam-bot`'s scheduler does, on a fake clock."""

    sessions: SessionFactory
    gateways: Gateways
    clock: Clock = field(default_factory=lambda: Clock(MONDAY))
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    overrides: dict[str, Any] = field(default_factory=dict)
    reports: list[CAMCycleReport] = field(default_factory=list)

    def config(self) -> CAMCycleConfig:
        with unit_of_work(self.sessions) as session:
            dry_run = get_state(session).dry_run
        return config(dry_run=dry_run, **self.overrides)

    def go_live(self) -> None:
        with unit_of_work(self.sessions) as session:
            set_dry_run(session, dry_run=False, by="UAPPROVER", now=self.clock.now)

    def cycle(self) -> CAMCycleReport:
        report = run_daily_cam_cycle(
            self.config(),
            session_factory=self.sessions,
            gateways=self.gateways,
            clock=self.clock,
            rng=self.rng,
        )
        self.reports.append(report)
        return report

    def send_pass(self) -> CAMCycleReport:
        report = run_send_pass(
            self.config(),
            session_factory=self.sessions,
            gateways=self.gateways,
            clock=self.clock,
            rng=self.rng,
        )
        self.reports.append(report)
        return report

    def at(self, moment: time) -> None:
        """Move the clock forward to `moment` of the current day."""
        day = self.clock.now.date()
        target = datetime.combine(day, moment, UTC)
        if target > self.clock.now:
            self.clock.now = target

    def day(self) -> None:
        """Run one day: the cycle at 09:05, passes until 17:00, then go to the next midnight."""
        self.at(CYCLE_AT)
        self.cycle()
        end = datetime.combine(self.clock.now.date(), LAST_PASS, UTC)
        while self.clock.now + PASS_EVERY <= end:
            self.clock.advance(seconds=PASS_EVERY.total_seconds())
            self.send_pass()
        self.next_day()

    def next_day(self) -> None:
        tomorrow = self.clock.now.date() + timedelta(days=1)
        self.clock.now = datetime.combine(tomorrow, time(0, 0), UTC)

    def errors(self) -> list[str]:
        return [f"{e.phase}: {e.message}" for r in self.reports for e in r.errors]


def steps_out_of_order(sessions: SessionFactory) -> list[str]:
    """Name each step that went out before the step before it really had."""
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(OutreachMessage)).all()
    by_lead: dict[int, dict[int, OutreachMessage]] = defaultdict(dict)
    for row in rows:
        by_lead[row.lead_id][row.step] = row
    wrong = []
    for lead_id, steps in by_lead.items():
        for number, row in steps.items():
            if row.status not in WENT_OUT or number == 1:
                continue
            before = steps.get(number - 1)
            if before is None or before.status is not OutreachStatus.sent:
                wrong.append(f"lead {lead_id} step {number} before step {number - 1} went out")
            elif before.sent_at is None or row.claimed_at is None:
                wrong.append(f"lead {lead_id} step {number}: no time recorded")
            elif before.sent_at > row.claimed_at:
                wrong.append(f"lead {lead_id} step {number} sent before step {number - 1}")
    return wrong
