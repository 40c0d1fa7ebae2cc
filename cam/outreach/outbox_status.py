"""The life of an outbox row, through dry run, going live, pause, replies and re-planning.

    planned --claim--> sending --> sent | failed | unknown | planned (a 4xx: quota given back)
    planned --dry run--> simulated --going live--> planned (the lead's first simulated step)
    planned | simulated --reply, bounce, opt-out--> skipped (with the reason)

The rules, each kept by one function here:
- One row per (lead, campaign, step): `insert_planned` never fails a batch over one lead; a
  row that already exists is that lead's error, reported by the caller.
- A step is planned only once the step before it is done (`previous_step_done`): really sent
  (or skipped, e.g. its channel is disabled) in a live run; a dry run counts simulated steps
  too, so it previews the whole sequence.
- Going live (`replan_simulated`) plans again each lead's first simulated step and forgets
  every later row planned on top of a simulation. The schedule phase and the send pass both
  run it first when live, so nothing is planned or sent on top of a step that never went out.
- Pause and dry run stop a send pass between two claims (`halt_reason`, read before each
  claim); a row already claimed finishes as sent, failed or unknown.
- A stopped lead's rows not yet sent are skipped with the reason (`stop_sequences`).
- A claim older than its lease belongs to a dead process (`expire_stale_claims`): `unknown`,
  for a person to check, never sent again blindly.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import ColumnElement, CursorResult, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from cam.core import bulk, events
from cam.core.enums import Limit, SendMode
from cam.core.models import Channel, Lead, OutreachMessage, OutreachStatus
from cam.core.state import get_state
from cam.outreach.event_payloads import OutreachUnknown

# Rows that may still go out: what a stopped sequence skips and an absence postpones.
NOT_YET_SENT = (OutreachStatus.planned, OutreachStatus.simulated)
# Rows that take a slot of their channel on their day.
SLOT_TAKING = (
    OutreachStatus.planned,
    OutreachStatus.sending,
    OutreachStatus.sent,
    OutreachStatus.simulated,
    OutreachStatus.unknown,
)
# Rows that may have reached the recipient: never removed, never planned again.
MAY_HAVE_GONE_OUT = (OutreachStatus.sending, OutreachStatus.sent, OutreachStatus.unknown)
_LIVE_DONE = (OutreachStatus.sent, OutreachStatus.skipped)
_DONE = {SendMode.live: _LIVE_DONE, SendMode.dry: (*_LIVE_DONE, OutreachStatus.simulated)}


class PlannedRow(TypedDict):
    """The columns of one outbox row as planning writes it: an INSERT's values, typed."""

    lead_id: int
    mailbox: str | None
    campaign_id: int
    step: int
    channel: Channel
    scheduled_at: datetime
    status: OutreachStatus
    reason: str | None


def previous_step_done(mode: SendMode) -> ColumnElement[bool]:
    """Return the condition that a lead's last planned step is done, so the next may be planned."""
    earlier = aliased(OutreachMessage)
    return exists().where(
        earlier.lead_id == Lead.id,
        earlier.campaign_id == Lead.campaign_id,
        earlier.step == Lead.steps_planned,
        earlier.status.in_(_DONE[mode]),
    )


def insert_planned(session: Session, rows: Sequence[PlannedRow]) -> set[int]:
    """Insert outbox rows, skipping any (lead, campaign, step) already there; return lead ids."""
    inserted = bulk.insert_ignoring(
        session,
        OutreachMessage,
        rows,
        on=["lead_id", "campaign_id", "step"],
        returning=[OutreachMessage.lead_id],
    )
    return {lead_id for (lead_id,) in inserted}


def replan_simulated(session: Session) -> int:
    """Going live: plan again each lead's first simulated step, forget what was planned on it.

    Returns how many steps are planned again.
    """
    simulated = OutreachStatus.simulated
    any_simulated = select(OutreachMessage.id).where(OutreachMessage.status == simulated).limit(1)
    if session.scalar(any_simulated) is None:
        return 0
    earlier = aliased(OutreachMessage)
    session.execute(
        delete(OutreachMessage)
        .where(
            OutreachMessage.status.not_in(MAY_HAVE_GONE_OUT),
            exists().where(
                earlier.lead_id == OutreachMessage.lead_id,
                earlier.campaign_id == OutreachMessage.campaign_id,
                earlier.status == simulated,
                earlier.step < OutreachMessage.step,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    first_simulated = (
        select(func.min(OutreachMessage.step))
        .where(OutreachMessage.lead_id == Lead.id, OutreachMessage.status == simulated)
        .scalar_subquery()
    )
    session.execute(
        update(Lead)
        .where(
            Lead.id.in_(select(OutreachMessage.lead_id).where(OutreachMessage.status == simulated))
        )
        .values(steps_planned=first_simulated, next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(OutreachMessage)
        .where(OutreachMessage.status == simulated)
        .values(
            status=OutreachStatus.planned,
            reason="planned again: going live",
            sent_at=None,
            subject=None,
            body=None,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def halt_reason(session: Session, *, mode: SendMode, began: SendMode) -> Limit | None:
    """Return why a send pass must stop before its next claim (`paused`, `dry_run`), or None.

    Read from the database before every claim, so `/cam pause` or `/cam dry` stops a pass in
    flight after at most the message already claimed. A live run stops when dry run was
    switched on after it began (`began` is the mode stored then); a pause stops any run.
    """
    state = get_state(session)
    if state.paused:
        return Limit.paused
    if state.dry_run and mode is SendMode.live and began is SendMode.live:
        return Limit.dry_run
    return None


def stop_sequences(
    session: Session, lead_ids: Collection[int], reason: str, *, now: datetime | None = None
) -> int:
    """Skip the rows of these leads that have not gone out; return how many."""
    if not lead_ids:
        return 0
    stamp = {} if now is None else {"updated_at": now}
    result = session.execute(
        update(OutreachMessage)
        .where(
            OutreachMessage.lead_id.in_(sorted(lead_ids)),
            OutreachMessage.status.in_(NOT_YET_SENT),
        )
        .values(status=OutreachStatus.skipped, reason=reason[:1000], **stamp)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def expire_stale_claims(session: Session, claimed_before: datetime) -> int:
    """Flag rows left `sending` by a dead claim as `unknown`: they may have gone out.

    The event names the rows in the same transaction, so a person learns of each one even if
    this pass dies before its report is stored.
    """
    ids = list(
        session.scalars(
            update(OutreachMessage)
            .where(
                OutreachMessage.status == OutreachStatus.sending,
                OutreachMessage.claimed_at < claimed_before,
            )
            .values(
                status=OutreachStatus.unknown,
                reason="claim expired: the sender stopped before recording the outcome; "
                "check the mailbox before sending again",
            )
            .returning(OutreachMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    if ids:
        events.record(session, OutreachUnknown(outreach_ids=sorted(ids)))
    return len(ids)


def _rowcount(result: object) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)
