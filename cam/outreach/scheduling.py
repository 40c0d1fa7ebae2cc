"""Phase 2: enrol qualified leads and plan each one's next step at a human-looking time.

Each planned message gets a random moment (from `ctx.rng`) inside the recipient's send window,
at least `min_gap_seconds` away from any other message of its channel, on the first day whose
channel cap still has room: the day's sends trickle out, never in a burst. Planning is capped
per team day by `max_outreach_per_day` (first steps) and `max_followups_per_day`.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from cam.core import events, safety
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.enums import Limit, SendMode
from cam.core.models import (
    Campaign,
    CampaignStep,
    Lead,
    LeadStatus,
    OutreachStatus,
)
from cam.leads import status as lead_status
from cam.leads.scoring import load_rules
from cam.outreach import outbox_status, sender_mailboxes
from cam.outreach.campaigns import sync_campaign_file
from cam.outreach.event_payloads import OutreachNotPlanned, OutreachScheduled
from cam.outreach.outbox_status import PlannedRow
from cam.outreach.slots import SlotPlanner

log = logging.getLogger(__name__)

PHASE = "schedule"
FIRST_SCOPE = "plan:first"
FOLLOWUP_SCOPE = "plan:followup"

_leads = cast(Table, Lead.__table__)
_plan_lead = (
    update(_leads)
    .where(_leads.c.id == bindparam("lead_id"))
    .values(
        steps_planned=bindparam("new_steps"),
        next_step_at=bindparam("new_next"),
        status=bindparam("new_status"),
        updated_at=bindparam("now"),
    )
)


class StepKind(enum.Enum):
    """A lead's first message, or a follow-up: each has its own daily planning cap."""

    first = "first"
    follow_up = "follow_up"

    @classmethod
    def of(cls, step: int) -> StepKind:
        """The kind of campaign step number `step` (from 1)."""
        return cls.first if step == 1 else cls.follow_up


@dataclass
class Planned:
    """How many steps of each kind one planning pass put in the outbox."""

    first: int = 0
    follow_ups: int = 0

    def count(self, kind: StepKind) -> None:
        if kind is StepKind.first:
            self.first += 1
        else:
            self.follow_ups += 1

    @property
    def total(self) -> int:
        return self.first + self.follow_ups


def schedule_outreach(ctx: CycleContext) -> None:
    """Enrol leads at or above the threshold; plan the next step of each lead that is due.

    When live, simulated steps are planned again first (`outbox_status.replan_simulated`), so no
    step is planned on top of one that never went out.
    """
    config = ctx.config
    rules = load_rules(config.scoring_file)
    now = ctx.clock()
    day = safety.day_window(safety.team_day(now, config.timezone))
    with unit_of_work(ctx.session_factory) as session:
        if ctx.mode is SendMode.live:
            outbox_status.replan_simulated(session)
        campaign = sync_campaign_file(
            session,
            config.campaign_file,
            default_threshold=rules.threshold,
            senders=config.sender_profiles(),
        )
        steps = {step.position: step for step in campaign.steps}
        enrolled = _enrol(session, campaign, steps, now)
        ctx.report.leads_enrolled += enrolled
        below = _below_threshold(session, campaign, ctx.report.start)
        ctx.report.leads_below_threshold += below
        sender_mailboxes.assign_unowned(session, config, now)
        due_now = _Due(campaign, len(steps), now, ctx.mode)
        first_room = config.max_outreach_per_day - safety.quota_used(session, FIRST_SCOPE, day)
        followup_room = config.max_followups_per_day - safety.quota_used(
            session, FOLLOWUP_SCOPE, day
        )
        due = _due_leads(session, due_now, StepKind.first, limit=first_room)
        due += _due_leads(session, due_now, StepKind.follow_up, limit=followup_room)
        for kind, room, reason in (
            (StepKind.first, first_room, Limit.max_outreach_per_day),
            (StepKind.follow_up, followup_room, Limit.max_followups_per_day),
        ):
            planned_here = sum(1 for lead in due if StepKind.of(lead.steps_planned + 1) is kind)
            if planned_here >= room:
                waiting = _count_due(session, due_now, kind)
                if waiting > planned_here:
                    ctx.report.skip(reason, waiting - planned_here)
        planned = _plan(session, ctx, campaign, steps, due)
        safety.reserve_up_to(session, FIRST_SCOPE, day, config.max_outreach_per_day, planned.first)
        safety.reserve_up_to(
            session, FOLLOWUP_SCOPE, day, config.max_followups_per_day, planned.follow_ups
        )
        ctx.report.outreach_scheduled += planned.total
        events.record(
            session,
            OutreachScheduled(
                campaign=campaign.key,
                enrolled=enrolled,
                below_threshold=below,
                first_steps=planned.first,
                followups=planned.follow_ups,
            ),
            cycle_id=ctx.cycle_id,
            at=now,
        )


def _plan(
    session: Session,
    ctx: CycleContext,
    campaign: Campaign,
    steps: dict[int, CampaignStep],
    due: list[Any],
) -> Planned:
    """Insert the next step of each due lead; return how many of each kind."""
    now = ctx.clock()
    today = safety.team_day(now, ctx.config.timezone)
    planner = SlotPlanner(session, ctx, now)
    rows: dict[int, PlannedRow] = {}
    lead_changes: dict[int, _LeadChange] = {}
    for lead in due:
        number = lead.steps_planned + 1
        step = steps[number]
        new_status = lead.status
        if lead_status.may_move(lead.status, LeadStatus.scheduled):
            new_status = LeadStatus.scheduled
        if step.channel not in ctx.config.channels_enabled:
            skipped = OutreachStatus.skipped
            rows[lead.id] = _row(lead, campaign.id, step, now, skipped, "channel disabled")
            next_at = next_step_at(steps, number, now)
            lead_changes[lead.id] = _lead_change(lead.id, number, next_at, new_status, now)
            continue
        why_later = planner.why_not_today(step.channel, lead.domain, lead.mailbox)
        when = planner.pick(step.channel, lead.timezone, lead.domain, lead.mailbox)
        if when is None:
            ctx.report.skip(Limit.no_free_slot(step.channel))
            continue
        on = safety.team_day(when, ctx.config.timezone)
        if on > today:
            ctx.report.hold(why_later, on)
        rows[lead.id] = _row(lead, campaign.id, step, when, OutreachStatus.planned, None)
        lead_changes[lead.id] = _lead_change(lead.id, number, None, new_status, now)
    inserted = outbox_status.insert_planned(session, list(rows.values()))
    for lead_id in sorted(set(rows) - inserted):
        _not_planned(session, ctx, lead_id, rows[lead_id]["step"])
    if inserted:
        session.execute(_plan_lead, [lead_changes[lead_id] for lead_id in sorted(inserted)])
    planned = Planned()
    for lead_id in inserted:
        if rows[lead_id]["status"] is OutreachStatus.planned:
            planned.count(StepKind.of(rows[lead_id]["step"]))
    return planned


def _not_planned(session: Session, ctx: CycleContext, lead_id: int, step: int) -> None:
    """Record one lead whose step is in the outbox already: its error, not the batch's."""
    message = f"step {step} is already in the outbox; the lead's plan needs a look"
    ctx.report.error(PHASE, message, item=f"lead {lead_id}")
    events.record(
        session, OutreachNotPlanned(lead_id=lead_id, step=step, reason=message), ctx.cycle_id
    )


def _enrol(
    session: Session, campaign: Campaign, steps: dict[int, CampaignStep], now: datetime
) -> int:
    result = session.execute(
        update(Lead)
        .where(
            Lead.status == LeadStatus.scored,
            Lead.campaign_id.is_(None),
            Lead.score >= campaign.score_threshold,
        )
        .values(
            campaign_id=campaign.id,
            steps_planned=0,
            next_step_at=now + timedelta(days=steps[1].delay_days),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _below_threshold(session: Session, campaign: Campaign, since: datetime) -> int:
    """Count the leads scored in this cycle that stay out of the campaign: under its bar."""
    return int(
        session.scalar(
            select(func.count(Lead.id)).where(
                Lead.status == LeadStatus.scored,
                Lead.campaign_id.is_(None),
                Lead.score < campaign.score_threshold,
                Lead.updated_at >= since,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class _Due:
    """What makes a lead's next step due: its campaign, the time, and the run's mode."""

    campaign: Campaign
    step_count: int
    now: datetime
    mode: SendMode

    def filter(self, kind: StepKind) -> list[Any]:
        conditions = [
            Lead.campaign_id == self.campaign.id,
            Lead.status.in_(sorted(lead_status.ENROLLED)),
            Lead.replied_at.is_(None),
            Lead.next_step_at <= self.now,
            Lead.steps_planned < self.step_count,
        ]
        if kind is StepKind.first:
            return [*conditions, Lead.steps_planned == 0]
        previous = outbox_status.previous_step_done(self.mode)
        return [*conditions, Lead.steps_planned > 0, previous]


def _due_leads(session: Session, due: _Due, kind: StepKind, *, limit: int) -> list[Any]:
    """Return the leads whose next step is due, best first; locked so two planners differ."""
    if limit <= 0:
        return []
    by_score = kind is StepKind.first
    order = (Lead.score.desc(), Lead.id) if by_score else (Lead.next_step_at, Lead.id)
    query = (
        select(Lead.id, Lead.status, Lead.steps_planned, Lead.timezone, Lead.domain, Lead.mailbox)
        .where(*due.filter(kind))
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Lead)
    )
    return list(session.execute(query).all())


def _count_due(session: Session, due: _Due, kind: StepKind) -> int:
    query = select(func.count(Lead.id)).where(*due.filter(kind))
    return int(session.scalar(query) or 0)


def next_step_at(steps: dict[int, CampaignStep], done: int, moment: datetime) -> datetime | None:
    """Return when the step after step `done` falls due, for a step done at `moment`."""
    following = steps.get(done + 1)
    return None if following is None else moment + timedelta(days=following.delay_days)


def _row(
    lead: Any,
    campaign_id: int,
    step: CampaignStep,
    when: datetime,
    status: OutreachStatus,
    reason: str | None,
) -> PlannedRow:
    return {
        "lead_id": lead.id,
        "mailbox": lead.mailbox,
        "campaign_id": campaign_id,
        "step": step.position,
        "channel": step.channel,
        "scheduled_at": when,
        "status": status,
        "reason": reason,
    }


class _LeadChange(TypedDict):
    """The bound values of `_plan_lead` for one lead."""

    lead_id: int
    new_steps: int
    new_next: datetime | None
    new_status: LeadStatus
    now: datetime


def _lead_change(
    lead_id: int, steps: int, next_at: datetime | None, status: LeadStatus, now: datetime
) -> _LeadChange:
    return {
        "lead_id": lead_id,
        "new_steps": steps,
        "new_next": next_at,
        "new_status": status,
        "now": now,
    }
