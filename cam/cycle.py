"""The daily cycle: five phases, each behind its own error boundary, and a report that always
comes. Each phase commits in the units that make stopping safe (a batch of leads, one claimed
message, a batch of replies): docs/architecture.md lists them.

Nothing escapes `run_daily_cam_cycle`: a failing phase is recorded and the next one runs; with
the database down every phase fails and the report (with those errors) is still returned. The
report is stored on its `CycleRun` with a `cycle_report` notification in the same transaction,
so the bot posts each report exactly once, even after a restart.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.db import SessionFactory, unit_of_work
from cam.core.event_payloads import CycleCompleted, CycleStarted, Failure
from cam.core.models import CycleRun, NotificationTopic, RunKind, RunStatus, utcnow
from cam.core.notices import CyclePayload, notice
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport, describe
from cam.core.state import get_state
from cam.escalation.escalations import escalate_hot_leads
from cam.leads.qualify import process_new_leads
from cam.outreach.scheduling import schedule_outreach
from cam.outreach.send_pass import send_due_outreach
from cam.replies.reading import detect_replies

log = logging.getLogger(__name__)

Phase = Callable[[CycleContext], None]

DAILY_PHASES: tuple[tuple[str, Phase], ...] = (
    ("qualify", process_new_leads),
    ("schedule", schedule_outreach),
    ("send", send_due_outreach),
    ("replies", detect_replies),
    ("escalate", escalate_hot_leads),
)
SEND_PHASES: tuple[tuple[str, Phase], ...] = (("send", send_due_outreach),)
# A run still `running` this long after it started has lost its process.
STALE_RUN = timedelta(hours=1)


def run_daily_cam_cycle(
    config: CAMCycleConfig,
    *,
    session_factory: SessionFactory,
    gateways: Gateways,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    trigger: str = "manual",
    instance: str = "cam",
) -> CAMCycleReport:
    """Run the five phases now and return the report; never raises."""
    ctx = _context(config, session_factory, gateways, clock, rng, instance)
    _open_run(ctx, kind=RunKind.daily, slot=None, trigger=trigger)
    return _run(ctx, DAILY_PHASES, kind=RunKind.daily, trigger=trigger, always_notify=True)


def run_scheduled_cycle(
    config: CAMCycleConfig,
    *,
    slot: str,
    session_factory: SessionFactory,
    gateways: Gateways,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    trigger: str = "schedule",
    instance: str = "cam",
    late: bool = False,
) -> CAMCycleReport | None:
    """Run the cycle of one scheduled `slot`, unless another instance already took it.

    `late` says it is made up after its time (the process slept through it): the report says
    when it was due.
    """
    ctx = _context(config, session_factory, gateways, clock, rng, instance)
    if late:
        ctx.report.due_at = datetime.fromisoformat(slot)
    try:
        _insert_run(ctx, kind=RunKind.daily, slot=slot, trigger=trigger)
    except IntegrityError:
        log.info("cycle slot %s is already taken by another instance", slot)
        return None
    except Exception as exc:  # never crash: no database, nothing runs, the caller learns why
        ctx.report.error("cycle", describe(exc))
        ctx.report.end = ctx.clock()
        return ctx.report
    return _run(ctx, DAILY_PHASES, kind=RunKind.daily, trigger=trigger, always_notify=True)


def run_send_pass(
    config: CAMCycleConfig,
    *,
    session_factory: SessionFactory,
    gateways: Gateways,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    trigger: str = "schedule",
    instance: str = "cam",
) -> CAMCycleReport:
    """Send what is due between cycles (phase 3 only); never raises.

    A pass that did nothing leaves no run behind; one with errors also leaves a notification.
    """
    ctx = _context(config, session_factory, gateways, clock, rng, instance)
    return _run(ctx, SEND_PHASES, kind=RunKind.send, trigger=trigger, always_notify=False)


def _context(
    config: CAMCycleConfig,
    session_factory: SessionFactory,
    gateways: Gateways,
    clock: Callable[[], datetime],
    rng: random.Random | None,
    instance: str,
) -> CycleContext:
    report = CAMCycleReport(start=clock(), dry_run=config.dry_run)
    return CycleContext(
        config=config,
        session_factory=session_factory,
        gateways=gateways,
        clock=clock,
        rng=rng if rng is not None else random.Random(),
        report=report,
        instance=instance,
    )


def _insert_run(ctx: CycleContext, *, kind: RunKind, slot: str | None, trigger: str) -> None:
    with unit_of_work(ctx.session_factory) as session:
        ctx.mode_at_start = get_state(session).mode
        close_interrupted(session, kind=kind, now=ctx.report.start)
        run = CycleRun(
            kind=kind,
            slot=slot,
            trigger=trigger,
            dry_run=ctx.dry_run,
            status=RunStatus.running,
            started_at=ctx.report.start,
        )
        session.add(run)
        session.flush()
        events.record(
            session,
            CycleStarted(kind=kind, slot=slot, trigger=trigger, dry_run=ctx.dry_run),
            cycle_id=run.id,
        )
    ctx.cycle_id = ctx.report.cycle_id = run.id


def close_interrupted(session: Session, *, kind: RunKind, now: datetime) -> list[int]:
    """Close runs whose process died (or lost the database) before storing their report.

    They would otherwise stay `running` for ever; the event and the Slack notification tell
    people a report is missing. The next cycle closes them, and so does each send pass, so the
    team hears of it within about `STALE_RUN`, not at the next daily cycle. Return their ids.
    """
    stale = list(
        session.scalars(
            update(CycleRun)
            .where(
                CycleRun.kind == kind,
                CycleRun.status == RunStatus.running,
                CycleRun.started_at < now - STALE_RUN,
            )
            .values(status=RunStatus.interrupted, finished_at=now)
            .returning(CycleRun.id)
            .execution_options(synchronize_session=False)
        )
    )
    for run_id in stale:
        message = "the cycle stopped before storing its report; its work is in the events log"
        events.record(session, Failure(phase="cycle", message=message), run_id)
        session.add(notice(NotificationTopic.cycle_interrupted, CyclePayload(cycle_id=run_id)))
    return stale


def _open_run(ctx: CycleContext, *, kind: RunKind, slot: str | None, trigger: str) -> None:
    try:
        _insert_run(ctx, kind=kind, slot=slot, trigger=trigger)
    except Exception as exc:  # never crash: the phases still run and the report says why
        ctx.report.error("cycle", f"cannot record the start of the cycle: {describe(exc)}")


def _run(
    ctx: CycleContext,
    phases: tuple[tuple[str, Phase], ...],
    *,
    kind: RunKind,
    trigger: str,
    always_notify: bool,
) -> CAMCycleReport:
    report = ctx.report
    for channel in ctx.gateways.not_configured():
        if channel not in report.channels_not_configured:
            report.channels_not_configured.append(channel)
    for name, phase in phases:
        began = time.perf_counter()
        try:
            phase(ctx)
        except Exception as exc:  # never crash: a failed phase is reported, the next one runs
            log.exception("phase %s failed", name)
            report.error(name, describe(exc))
        finally:
            report.phase_durations[name] = round(time.perf_counter() - began, 4)
    report.end = ctx.clock()
    did_something = bool(
        report.errors
        or report.outreach_sent
        or report.simulated
        or report.unknown_outcomes
        or report.tasks_created
    )
    if always_notify or did_something:
        # Sends of unknown outcome need a person to check the mailbox: always announced.
        notify = always_notify or bool(report.errors or report.unknown_outcomes)
        _close_run(ctx, kind=kind, trigger=trigger, notify=notify)
    return report


def _close_run(ctx: CycleContext, *, kind: RunKind, trigger: str, notify: bool) -> None:
    """Store the report, its events and its notification together; log if even that fails."""
    report = ctx.report
    try:
        with unit_of_work(ctx.session_factory) as session:
            if ctx.cycle_id is None:
                run = CycleRun(
                    kind=kind,
                    trigger=trigger,
                    dry_run=ctx.dry_run,
                    started_at=report.start,
                )
                session.add(run)
                session.flush()
                ctx.cycle_id = report.cycle_id = run.id
            status = RunStatus.with_errors if report.errors else RunStatus.completed
            payload = report.model_dump(mode="json")
            session.execute(
                update(CycleRun)
                .where(CycleRun.id == ctx.cycle_id)
                .values(status=status, finished_at=report.end, report=payload)
                .execution_options(synchronize_session=False)
            )
            for error in report.errors:
                events.record(
                    session,
                    Failure(phase=error.phase, item=error.item, message=error.message),
                    cycle_id=ctx.cycle_id,
                )
            events.record(
                session,
                CycleCompleted(kind=kind, status=status, errors=len(report.errors)),
                cycle_id=ctx.cycle_id,
            )
            if notify:
                session.add(
                    notice(NotificationTopic.cycle_report, CyclePayload(cycle_id=ctx.cycle_id))
                )
    except Exception as exc:  # never crash: the run still returns its report
        log.error("cannot store the report of cycle %s: %s", ctx.cycle_id, describe(exc))
        report.error("cycle", f"cannot store the report: {describe(exc)}")
