"""The bot's clock: the daily cycle by `CAM_SCHEDULE`, the frequent send pass, deliveries,
answers due for a prospect's return, reminders, and the digest by `CAM_DIGEST_SCHEDULE`.

Every instance runs the same schedule; the database decides who does the work. The daily
cycle is keyed by its scheduled time (`slot`): `run_scheduled_cycle` inserts the run for that
slot first and a second instance finds it taken; the digest's slot is unique the same way. The
send pass runs under a lease. The notifier claims each row, the answers job each due answer.
So two or three instances give one cycle, report and digest per slot. A slot slept through
is made up once on start or waking, under the same claim (`bot.missed_slots` has the rule).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from bot import answer_reminders
from bot.cron import schedule_trigger
from bot.missed_slots import latest_fire, missed_slot, slot_name
from bot.notifier import Notifier
from bot.settings import BotSettings
from bot.watch import reply_watchers
from cam import cycle
from cam.core import leases, runs
from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import RunKind, utcnow
from cam.core.ports import GatewayError, Gateways
from cam.core.report import CAMCycleReport
from cam.core.state import get_state
from cam.digest import runs as digest_runs
from cam.escalation import crm_sync, expiry
from cam.gateways import factory
from cam.replies import answering, due_answers, sent_folder

log = logging.getLogger(__name__)

CYCLE_JOB = "daily_cycle"
SEND_JOB = "send_pass"
NOTIFY_JOB = "deliver_notifications"
DIGEST_JOB = "digest"
ANSWERS_JOB = "answers"
# An answer still `sending` this long after its claim was left by a process that died.
ANSWER_CLAIM_TTL = timedelta(minutes=10)
# How often answers scheduled for a prospect's return are sent when due, and interested
# replies looked at for an owner to remind.
ANSWERS_EVERY = timedelta(minutes=1)
SEND_LEASE = "send_pass"
# A cycle that could not start on time (busy threads, a suspended host) still runs this late.
CYCLE_GRACE = timedelta(hours=1)
# Renewed every third of this while a pass runs: a holder that dies (a restart, a kill) frees
# the lease within this time, however long a pass may take.
SEND_LEASE_TTL = timedelta(minutes=1)


def instance_id(settings: BotSettings) -> str:
    """Name this process among the instances sharing the database."""
    return f"{settings.instance_name}@{socket.gethostname()}:{os.getpid()}"


class BotScheduler:
    """The APScheduler jobs of one bot process; `start()` them, `shutdown()` at exit."""

    def __init__(
        self,
        settings: BotSettings,
        session_factory: SessionFactory,
        gateways: Gateways,
        notifier: Notifier,
        *,
        instance: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        notify_every: timedelta = timedelta(seconds=5),
    ) -> None:
        self.settings = settings
        self.config = notifier.config  # what the files say, as the process read them
        self.session_factory = session_factory
        self.gateways = gateways
        self.notifier = notifier
        self.instance = instance or instance_id(settings)
        self.clock = clock
        self.zone = ZoneInfo(settings.timezone)
        self.trigger: CronTrigger = schedule_trigger(settings.schedule, self.zone)
        self.digest_trigger: CronTrigger | None = (
            schedule_trigger(settings.digest_schedule, self.zone)
            if settings.digest_schedule
            else None
        )
        self._scheduler = BackgroundScheduler(timezone=self.zone)
        self._catching_up = threading.Lock()
        self._catch_up_thread: threading.Thread | None = None
        # Answers sent from a mail app, seen in each mailbox's Sent folder (if one is set).
        self.sent_folders = factory.sent_folders(settings, self.config.process.mailboxes)
        self._add_jobs(notify_every)
        # Replies are read as they arrive, by one instance at a time, paused or not.
        self.watchers = reply_watchers(
            settings,
            session_factory,
            gateways,
            instance=self.instance,
            clock=clock,
            on_read=self.deliver,
        )

    def _add_jobs(self, notify_every: timedelta) -> None:
        """Register the cycle, the send pass, delivery and, if scheduled, the digest."""
        grace = int(CYCLE_GRACE.total_seconds())
        minutes = self.settings.send_interval_minutes
        self._add(self._cycle_job, self.trigger, CYCLE_JOB, misfire_grace_time=grace)
        self._add(self._send_job, IntervalTrigger(minutes=minutes, timezone=self.zone), SEND_JOB)
        self._add(
            self.deliver,
            IntervalTrigger(seconds=notify_every.total_seconds(), timezone=self.zone),
            NOTIFY_JOB,
        )
        self._add(
            self._answers_job,
            IntervalTrigger(seconds=ANSWERS_EVERY.total_seconds(), timezone=self.zone),
            ANSWERS_JOB,
        )
        if self.digest_trigger is not None:
            self._add(self._digest_job, self.digest_trigger, DIGEST_JOB, misfire_grace_time=grace)

    def _add(
        self, job: Callable[[], object], trigger: BaseTrigger, job_id: str, **options: int
    ) -> None:
        """Add a job that never runs twice at once and runs once for beats it missed."""
        self._scheduler.add_job(job, trigger, id=job_id, coalesce=True, max_instances=1, **options)

    def start(self) -> None:
        self._scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._scheduler.start()
        self._start_catch_up()
        for watcher in self.watchers:
            watcher.start()
        log.info("scheduler started as %s; next cycle %s", self.instance, self.next_run_time())

    def shutdown(self, *, wait: bool = True) -> None:
        for watcher in self.watchers:
            watcher.stop()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        if wait and self._catch_up_thread is not None:
            self._catch_up_thread.join()

    def next_run_time(self) -> datetime | None:
        """When the daily cycle fires next (in the team's zone), for `/cam status`."""
        fire: datetime | None = self.trigger.get_next_fire_time(
            None, self.clock().astimezone(self.zone)
        )
        return fire

    def slot_at(self, now: datetime) -> str | None:
        """Name the scheduled time a cycle starting at `now` belongs to: the latest fire time
        within the grace period, the same in every instance; None if there is none.

        APScheduler 3 does not hand a job its scheduled time; this recovers it exactly as long
        as the job starts before the schedule's next fire time (a day, for a daily cycle).
        """
        return _latest_in_grace(self.trigger, now)

    def digest_slot_at(self, now: datetime) -> str | None:
        """Name the digest's scheduled time as `slot_at` does the cycle's."""
        if self.digest_trigger is None:
            return None
        return _latest_in_grace(self.digest_trigger, now)

    def missed_slots(self) -> tuple[str | None, str | None]:
        """The cycle's and the digest's slot of today to make up, by `bot.missed_slots`."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            last_cycle = runs.last_started(session, RunKind.daily)
            last_digest = digest_runs.last_queued(session)
        cycle_slot = missed_slot(self.trigger, now, self.zone, last_cycle)
        digest_slot = (
            None
            if self.digest_trigger is None
            else missed_slot(self.digest_trigger, now, self.zone, last_digest)
        )
        return cycle_slot, digest_slot

    def catch_up(self) -> tuple[CAMCycleReport | None, int | None]:
        """Run today's missed cycle, then the missed digest (which counts its work), once."""
        cycle_slot, digest_slot = self.missed_slots()
        report = None if cycle_slot is None else self.run_cycle(cycle_slot, late=True)
        digest_id = None if digest_slot is None else self.run_digest(digest_slot, late=True)
        return report, digest_id

    def _start_catch_up(self) -> None:
        """Make up missed slots off the caller's path (a late cycle takes a while), one at a time.

        A thread of its own rather than a one-off APScheduler job: APScheduler 3 removes a spent
        one-off job after submitting it and raises if `shutdown()` came in between, so a bot
        stopped right after starting printed a traceback.
        """
        if self._catching_up.acquire(blocking=False):
            self._catch_up_thread = threading.Thread(
                target=self._catch_up_job, name="catch-up", daemon=True
            )
            self._catch_up_thread.start()

    def _catch_up_job(self) -> None:
        try:
            self.catch_up()
        except SQLAlchemyError as exc:
            # The database is away (the start-up check said so): the next start or miss retries.
            log.warning("missed slots not made up: database unreachable (%s)", type(exc).__name__)
        except Exception:
            log.exception("making up missed slots failed")
        finally:
            self._catching_up.release()

    def _on_missed(self, event: JobExecutionEvent) -> None:
        """A slot passed while the process slept beyond the grace: make it up now."""
        if event.job_id in (CYCLE_JOB, DIGEST_JOB):
            log.warning("%s of %s missed; making it up", event.job_id, event.scheduled_run_time)
            self._start_catch_up()

    def run_digest(self, slot: str, *, late: bool = False) -> int | None:
        """Count and queue the digest of `slot` unless another instance has; then post it."""
        with unit_of_work(self.session_factory) as session:
            config = self.config.cycle_config(get_state(session))
        digest_id = digest_runs.queue_scheduled(
            self.session_factory, config, slot=slot, now=self.clock(), late=late
        )
        if digest_id is None:
            log.info("digest of %s already queued by another instance", slot)
        self.deliver()
        return digest_id

    def run_cycle(self, slot: str, *, late: bool = False) -> CAMCycleReport | None:
        """Run the daily cycle of `slot` unless paused or another instance has it; then post."""
        config = self._config_unless_paused("cycle")
        if config is None:
            return None
        report = cycle.run_scheduled_cycle(
            config,
            slot=slot,
            session_factory=self.session_factory,
            gateways=self.gateways,
            clock=self.clock,
            trigger="schedule",
            instance=self.instance,
            late=late,
        )
        if report is None:
            log.info("cycle of %s already run by another instance", slot)
        else:
            log.info("cycle of %s run by %s", slot, self.instance)
        self.deliver()
        return report

    def run_send_pass(self) -> CAMCycleReport | None:
        """Send due outreach unless paused or another instance is sending."""
        if self._config_unless_paused("send pass") is None:
            return None
        with leases.held(
            self.session_factory, SEND_LEASE, self.instance, SEND_LEASE_TTL, renew=True
        ) as ours:
            if not ours:
                log.debug("send pass running in another instance")
                return None
            # Read again under the lease: a pause that landed meanwhile wins.
            config = self._config_unless_paused("send pass")
            if config is None:
                return None
            report = cycle.run_send_pass(
                config,
                session_factory=self.session_factory,
                gateways=self.gateways,
                clock=self.clock,
                trigger="send_pass",
                instance=self.instance,
            )
            self._housekeeping()
        if report.errors:
            self.deliver()
        return report

    def _housekeeping(self) -> None:
        """Expire overdue approvals, close (and announce) cycles whose process died, and finish
        CRM syncs a crash or an outage left undone."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            expiry.expire_stale(session, now)
            cycle.close_interrupted(session, kind=RunKind.daily, now=now)
            answering.expire_stale(session, now - ANSWER_CLAIM_TTL)
        for decision in crm_sync.retry_crm_sync(
            self.session_factory, crm=self.gateways.crm, now=now
        ):
            if decision.crm_error:
                log.warning(
                    "CRM sync of approval %s failed: %s", decision.approval_id, decision.crm_error
                )

    def deliver(self) -> int:
        """Post the pending notifications now; a failure is logged and retried next time."""
        try:
            return self.notifier.deliver_pending()
        except Exception:
            log.exception("delivering notifications failed")
            return 0

    def _cycle_job(self) -> None:
        self._run_slot("daily cycle", self.slot_at, self.run_cycle)

    def _digest_job(self) -> None:
        self._run_slot("digest", self.digest_slot_at, self.run_digest)

    def _run_slot(
        self,
        what: str,
        slot_at: Callable[[datetime], str | None],
        run: Callable[[str], object],
    ) -> None:
        """Run `what` for the scheduled time that fired; a beat outside the schedule is skipped."""
        slot = slot_at(self.clock())
        if slot is None:
            log.warning("%s fired outside its schedule; skipped", what)
            return
        try:
            run(slot)
        except Exception:  # never crash: the job must fire again at its next scheduled time
            log.exception("%s of %s failed", what, slot)

    def remind_unanswered(self) -> int:
        """Remind owners of interested replies waiting too long; then post the reminders.

        The Sent folders are read first: an answer sent from a mail app needs no reminder.
        """
        for reader in self.sent_folders:
            try:
                sent_folder.read_sent(self.session_factory, reader)
            except GatewayError as exc:
                log.warning("reading sent mail failed: %s", exc)
        reminded = answer_reminders.remind_unanswered(
            self.config.process, self.session_factory, self.clock()
        )
        if reminded:
            self.deliver()
        return reminded

    def send_due_answers(self) -> int:
        """Send the answers due for a prospect's return, paused or not (the claim refuses them
        then, and says so in the thread); then post what became of them."""
        with unit_of_work(self.session_factory) as session:
            config = self.config.cycle_config(get_state(session))
        settled = due_answers.send_due(
            self.session_factory,
            config=config,
            gateway_of=self.gateways.sender,
            instance=self.instance,
            now=self.clock(),
        )
        if settled:
            self.deliver()
        return len(settled)

    def _answers_job(self) -> None:
        for what, work in (
            ("answers", self.send_due_answers),
            ("reminders", self.remind_unanswered),
        ):
            try:
                work()
            except Exception:
                log.exception("%s failed", what)

    def _send_job(self) -> None:
        try:
            self.run_send_pass()
        except Exception:
            log.exception("send pass failed")

    def _config_unless_paused(self, what: str) -> CAMCycleConfig | None:
        with unit_of_work(self.session_factory) as session:
            state = get_state(session)
            if state.paused:
                log.info("paused: no %s", what)
                return None
            return self.config.cycle_config(state)


def _latest_in_grace(trigger: CronTrigger, now: datetime) -> str | None:
    """The latest fire time of `trigger` within the grace period before `now`, in UTC ISO."""
    fire = latest_fire(trigger, now, since=now - CYCLE_GRACE)
    return None if fire is None else slot_name(fire)
