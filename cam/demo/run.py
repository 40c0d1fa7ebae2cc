"""The demo's days: the team's real daily cycle, day after day, on a clock the demo moves.

Each working day at 09:05 (the team's zone) the cycle runs as the scheduler runs it, in dry
run: it qualifies and scores, plans, counts what it would send, reads the demo inbox and asks
for approvals. After it, the script's mail for that evening arrives, for the next morning's
cycle to read. The days lie in the past, so each one has fully happened and its digest counts
all of it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update

from cam.bootstrap import Runtime
from cam.core import safety
from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.core.models import Lead
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport
from cam.cycle import run_daily_cam_cycle
from cam.demo.inbox import DemoInbox
from cam.demo.script import ReplyScript, evenings
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopSocialPoster

DEMO_SEED = 7
CYCLE_AT = time(9, 5)
# The sample lands an hour before the first cycle, so that day counts it as leads in.
SAMPLE_ARRIVES_BEFORE = timedelta(hours=1)
TRIGGER = "demo"


@dataclass(frozen=True)
class DemoDay:
    """One day of the demo: when its cycle ran and the report it returned."""

    moment: datetime
    report: CAMCycleReport


def cycle_moments(
    timezone: str, today: date, days: int, workdays: frozenset[int]
) -> list[datetime]:
    """09:05 (in `timezone`, as UTC) on each of the last `days` working days before `today`,
    oldest first."""
    zone = safety.zone(timezone)
    found: list[datetime] = []
    day = today
    while len(found) < days:
        day -= timedelta(days=1)
        if day.weekday() in (workdays or frozenset(range(5))):
            found.append(datetime.combine(day, CYCLE_AT, tzinfo=zone).astimezone(UTC))
    return found[::-1]


def demo_gateways(inbox: DemoInbox) -> Gateways:
    """The demo's way in is its inbox; nothing has a way out (no mail, task or CRM call)."""
    return Gateways(
        email=NoopEmailSender(), inbox=inbox, social=NoopSocialPoster(), crm=NoopCrmSyncer()
    )


def run_days(
    runtime: Runtime,
    config: CAMCycleConfig,
    script: ReplyScript,
    moments: list[datetime],
) -> list[DemoDay]:
    """Run the cycle at each of `moments`, the script's mail arriving after each; the
    leads already imported arrive just before the first."""
    with unit_of_work(runtime.session_factory) as session:
        session.execute(update(Lead).values(created_at=moments[0] - SAMPLE_ARRIVES_BEFORE))
    rng = random.Random(DEMO_SEED)
    days = []
    for moment, kinds in zip(moments, evenings(len(moments)), strict=True):
        report = run_daily_cam_cycle(
            config,
            session_factory=runtime.session_factory,
            gateways=runtime.gateways,
            clock=_stopped_at(moment),
            rng=rng,
            trigger=TRIGGER,
            instance=runtime.settings.instance_name,
        )
        days.append(DemoDay(moment, report))
        team_day = safety.team_day(moment, config.timezone)
        with unit_of_work(runtime.session_factory) as session:
            script.give_message_ids(session)
            session.flush()
            script.deliver(session, kinds, safety.team_day_bounds(team_day, config.timezone))
    return days


def _stopped_at(moment: datetime) -> Callable[[], datetime]:
    """A clock that reads `moment`: the whole cycle happens at its 09:05."""
    return lambda: moment
