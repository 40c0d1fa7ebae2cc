"""Weeks of a team's life on a fake clock, as a hypothesis state machine, on both databases.

The rules are what a team and the world do: import leads (with duplicates), run the day's
cycle and send passes, go live and back to dry run, pause and resume, reply (interested, not
interested, a question, out of office with a return date, unsubscribe, a bounce), reply with
no text (empty, quotes only, markup only, an image only), click an unsubscribe link, edit the
campaign, kill the process mid-pass (its claim expires later), take Slack down for a while,
have the IMAP server leave the newest message out of its next answers, send forged delivery
reports naming leads never mailed and strangers, and decide reply cards as an approver or as
any member, wrongly too. The invariants are checked after every step; among them, every
message in the inbox that a read got is stored exactly once, no lead is suppressed without
evidence the database holds, a reply with no text suppresses nobody, and a later click never
changes a card's first decision nor makes one member's label teach the model.

`CAM_SIM_EXAMPLES` sets the examples per database (default: a short run for the quick loop);
`.ci/run` runs the long one. The horizon is at most `HORIZON_DAYS` simulated days.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from cam.core.db import unit_of_work
from cam.core.models import (
    Channel,
    Lead,
    OutreachMessage,
    OutreachStatus,
    Reply,
    SuppressionSource,
    TriageChoice,
)
from cam.core.safety import Grounds
from cam.core.state import set_dry_run, set_paused
from cam.replies import triage
from cam.replies.unsubscribe import unsubscribe
from tests.gateways.smtp_server import SmtpServer
from tests.outreach.days import CYCLE_AT, MONDAY, steps_out_of_order
from tests.sim import invariants as check
from tests.sim.world import (
    BLANK_FORMS,
    CAMPAIGNS,
    REPLY_BODIES,
    ProcessKilled,
    World,
    write_campaign,
)

ONE_CLICK = Grounds(SuppressionSource.one_click, "POST List-Unsubscribe=One-Click")
APPROVER, MEMBER = "UAPPROVER", "UMEMBER"
DECISIONS = (TriageChoice.interested, TriageChoice.not_interested, TriageChoice.unsubscribe)

EXAMPLES = int(os.environ.get("CAM_SIM_EXAMPLES", "3"))
# The suite's 300 s per test is for one test; a long run gets 6 s an example on a busy machine.
pytestmark = [pytest.mark.sim, pytest.mark.timeout(max(300, EXAMPLES * 6))]
# A long run takes many shorter lives (fewer steps, fewer dry days first) instead of a few long
# ones, so that 300 of them per database fit in the CI's time: up to three weeks each.
LONG = EXAMPLES > 20
STEPS = int(os.environ.get("CAM_SIM_STEPS", "10" if LONG else "20"))
DRY_DAYS = 1 if LONG else 4
DAYS_PER_STEP = 2 if LONG else 3
PASSES = 3 if LONG else 5
HORIZON_DAYS = 90
REPLY_KINDS = ("interested", "not_interested", "question", "out_of_office", "unsubscribe", "bounce")


def make_machine(db_url: str, smtp: SmtpServer, folder: Path) -> type[RuleBasedStateMachine]:
    class TeamLife(RuleBasedStateMachine):
        """One team from its first import, for up to HORIZON_DAYS days."""

        def __init__(self) -> None:
            super().__init__()
            self.world = World(db_url, smtp, folder, seed=len(smtp.handler.messages))
            self.days = self.world.days
            self.stopped_at: dict[int, datetime] = {}
            # Leads whose reply, bounce or opt-out waits in the inbox, by its UID: the first
            # cycle after the server has answered with that message stops them.
            self.awaiting_stop: dict[str, int] = {}
            self.variant = 0
            self.checked_reports = 0
            # Addresses that replied with no text, and those a notice, an opt-out or a team's
            # decision may suppress: nothing else may suppress the first.
            self.blank: set[str] = set()
            self.may_suppress: set[str] = set()
            # The first decision taken on each reply card: (choice, who).
            self.decided: dict[int, tuple[TriageChoice, str]] = {}

        def teardown(self) -> None:
            try:
                self._all_reports_reach_slack_once()
                self._tell_what_happened()
            finally:
                self.world.close()

        def _tell_what_happened(self) -> None:
            """Label the example, so `--hypothesis-show-statistics` shows what was covered."""
            with unit_of_work(self.world.sessions) as session:
                statuses = set(session.scalars(select(OutreachMessage.status).distinct()))
            mails = len(self.world.smtp.handler.messages)
            event(f"emails delivered: {'none' if not mails else '1-9' if mails < 10 else '10+'}")
            event(f"days simulated: {(self.days.clock.now - MONDAY).days // 10 * 10}+")
            event(f"leads stopped: {'some' if self.stopped_at else 'none'}")
            for status in sorted(statuses):
                event(f"outbox row {status.value}")

        # --- what the team and the world do ---------------------------------------------

        @initialize(count=st.integers(5, 30), dry_days=st.integers(0, DRY_DAYS), live=st.booleans())
        def first_import(self, count: int, dry_days: int, live: bool) -> None:
            """The team imports its first leads, tries a few dry days, and may go live."""
            self.world.import_leads(count, 0)
            for _ in range(dry_days):
                self._day(passes=2)
            if live:
                self.days.go_live()

        @rule(count=st.integers(1, 12), duplicates=st.integers(0, 4))
        def import_leads(self, count: int, duplicates: int) -> None:
            self.world.import_leads(count, duplicates)

        @precondition(lambda self: self._days_left() > 3)
        @rule(days=st.integers(1, DAYS_PER_STEP), passes=st.integers(1, PASSES))
        def run_days(self, days: int, passes: int) -> None:
            """Each day: the cycle at 09:05, send passes, Slack delivery; then the next day."""
            for _ in range(days):
                self._day(passes)

        @precondition(lambda self: self._days_left() > 7)
        @rule(days=st.integers(1, 7))
        def days_pass(self, days: int) -> None:
            """Nothing runs for a few days (a weekend, the bot down)."""
            self.days.clock.advance(days=days)

        @rule(minutes=st.integers(10, 120))
        def send_pass_later(self, minutes: int) -> None:
            self.days.clock.advance(minutes=minutes)
            self._send_pass()

        @rule()
        def go_live(self) -> None:
            self.days.go_live()

        @rule()
        def go_dry(self) -> None:
            with unit_of_work(self.world.sessions) as session:
                set_dry_run(session, dry_run=True, by="UAPPROVER", now=self.days.clock.now)

        @rule(paused=st.booleans())
        def pause_or_resume(self, paused: bool) -> None:
            with unit_of_work(self.world.sessions) as session:
                set_paused(session, paused=paused, by="UOPS", now=self.days.clock.now)

        @rule(pick=st.integers(0, 10_000), kind=st.sampled_from(REPLY_KINDS))
        def reply(self, pick: int, kind: str) -> None:
            """A lead (one that was mailed, when there is one) answers; read at the next cycle."""
            target = self._mailed_lead(pick)
            if target is None:
                return
            address, message_id = target
            inbox = self.world.inbox
            if kind in ("bounce", "unsubscribe"):
                self.may_suppress.add(address.lower())
            if kind != "out_of_office" and (kind != "bounce" or message_id is not None):
                # A bounce for an address never mailed need not stop anything.
                self.awaiting_stop[address.lower()] = len(inbox.messages) + 1
            if kind == "out_of_office":
                back = self.days.clock.now.date() + timedelta(days=1 + pick % 20)
                inbox.out_of_office(address, message_id, back)
            elif kind == "bounce":
                inbox.bounce(address, message_id)
            elif kind == "unsubscribe":
                inbox.reply(address, message_id, "Please unsubscribe me and remove my address.")
            else:
                inbox.reply(address, message_id, REPLY_BODIES[kind])

        @rule(pick=st.integers(0, 10_000), form=st.sampled_from(BLANK_FORMS))
        def blank_reply(self, pick: int, form: str) -> None:
            """A lead answers with nothing written: a person replied, so the sequence stops."""
            target = self._mailed_lead(pick)
            if target is None or target[1] is None:
                return
            address, message_id = target
            self.world.inbox.blank(address, message_id, form)
            self.awaiting_stop[address.lower()] = len(self.world.inbox.messages)
            self.blank.add(address.lower())

        @rule(pick=st.integers(0, 10_000), strangers=st.integers(0, 3))
        def forged_notice(self, pick: int, strangers: int) -> None:
            """A delivery report from anyone, citing none of our messages, naming leads we
            never mailed and strangers: it suppresses nobody."""
            with unit_of_work(self.world.sessions) as session:
                mailed = select(OutreachMessage.lead_id).where(
                    OutreachMessage.status == OutreachStatus.sent
                )
                never = session.scalars(
                    select(Lead.email).where(Lead.id.not_in(mailed)).order_by(Lead.id)
                ).all()
            named = [never[(pick + i) % len(never)] for i in range(min(3, len(never)))]
            named += [f"someone{pick + i}@elsewhere.example" for i in range(strangers)]
            if named:
                self.world.inbox.forged_bounce(named)

        @rule(
            pick=st.integers(0, 10_000),
            choice=st.sampled_from(DECISIONS),
            approver=st.booleans(),
        )
        def decide_a_card(self, pick: int, choice: TriageChoice, approver: bool) -> None:
            """Someone decides a reply card, rightly or not; the first decision stands."""
            with unit_of_work(self.world.sessions) as session:
                replies = session.scalars(
                    select(Reply.id).where(Reply.lead_id.is_not(None)).order_by(Reply.id)
                ).all()
            if not replies:
                return
            reply_id = replies[pick % len(replies)]
            by = APPROVER if approver else MEMBER
            decided = triage.decide(
                self.world.sessions,
                reply_id=reply_id,
                choice=choice,
                by=by,
                now=self.days.clock.now,
                zone=ZoneInfo("UTC"),
                approvers={APPROVER},
            )
            if decided.changed:
                self.decided[reply_id] = (choice, by)
                with unit_of_work(self.world.sessions) as session:
                    reply = session.get(Reply, reply_id)
                    lead_id = reply.lead_id if reply is not None else None
                if lead_id is not None and choice is not TriageChoice.interested:
                    self.stopped_at.setdefault(lead_id, self.days.clock.now)
                if choice is TriageChoice.unsubscribe and reply is not None:
                    self.may_suppress.add((reply.from_address or "").lower())

        @rule(answers=st.integers(1, 2))
        def imap_leaves_out_the_newest(self, answers: int) -> None:
            """The server's next FETCH answers go without the newest message: read later."""
            self.world.inbox.leave_out_newest(answers)

        @rule(pick=st.integers(0, 10_000))
        def unsubscribe_link(self, pick: int) -> None:
            with unit_of_work(self.world.sessions) as session:
                leads = session.scalars(select(Lead).order_by(Lead.id)).all()
                if not leads:
                    return
                lead = leads[pick % len(leads)]
                unsubscribe(session, lead.email, ONE_CLICK)
            self.stopped_at.setdefault(lead.id, self.days.clock.now)
            self.may_suppress.add(lead.email.lower())

        @rule(variant=st.integers(0, len(CAMPAIGNS) - 1))
        def edit_campaign(self, variant: int) -> None:
            """Edit templates, delays and channels, or drop steps.

            Never add steps: a lead that finished the shorter campaign has no time set for a
            step added later, so it would wait for ever (left for a later change).
            """
            if len(CAMPAIGNS[variant]) <= len(CAMPAIGNS[self.variant]):
                self.variant = variant
                write_campaign(self.world.campaign_file, variant)

        @rule()
        def kill_mid_pass(self) -> None:
            """The process dies right after a message went out; its claim is left behind."""
            self.world.sender.die_after_next = True
            # Nothing of the pass survives: no report, and the claim stays `sending`.
            with contextlib.suppress(ProcessKilled):
                self._send_pass()
            self.world.sender.die_after_next = False

        @rule(failures=st.integers(1, 6))
        def slack_outage(self, failures: int) -> None:
            self.world.slack_outage(failures)
            self.world.deliver_to_slack()

        # --- invariants ------------------------------------------------------------------

        @invariant()
        def no_phase_error(self) -> None:
            reports = self.days.reports[self.checked_reports :]
            self.checked_reports = len(self.days.reports)
            assert [e for r in reports for e in r.errors] == []

        @invariant()
        def outreach_is_safe(self) -> None:
            rows = check.gone_out(self.world.sessions)
            received = list(self.world.smtp.handler.messages)
            assert check.caps_exceeded(rows) == []
            assert check.sent_twice(rows, received) == []
            assert check.sent_after_stop(rows, self.stopped_at) == []
            assert check.suppressed_without_evidence(self.world.sessions) == []
            assert steps_out_of_order(self.world.sessions) == []

        @invariant()
        def every_lead_moves_or_says_why(self) -> None:
            steps = len(CAMPAIGNS[self.variant])
            assert check.stuck_leads(self.world.sessions, steps) == []
            assert check.unqualified_without_reason(self.world.sessions) == []

        @invariant()
        def no_text_suppresses_nobody(self) -> None:
            kept = self.blank - self.may_suppress
            assert check.suppressed_among(self.world.sessions, kept) == []

        @invariant()
        def first_decisions_stand(self) -> None:
            assert check.decisions_changed(self.world.sessions, self.decided) == []
            assert check.trusted_alone(self.world.sessions, approvers={APPROVER}) == []

        @invariant()
        def every_reply_read_is_stored_once(self) -> None:
            inbox = self.world.inbox
            assert check.not_stored_once(self.world.sessions, inbox.name, inbox.messages) == []

        @invariant()
        def no_report_posted_twice(self) -> None:
            _ids, posted = check.reports_posted(self.world.sessions, self.world.slack)
            assert [i for i, n in posted.items() if n > 1] == []

        # --- helpers ---------------------------------------------------------------------

        def _days_left(self) -> int:
            return HORIZON_DAYS - (self.days.clock.now - MONDAY).days

        def _day(self, passes: int) -> None:
            self.days.at(CYCLE_AT)
            self.days.cycle()
            self._note_stops()
            for _ in range(passes):
                self.days.clock.advance(minutes=25)
                self._send_pass()
            self.world.deliver_to_slack()
            self.days.next_day()

        def _send_pass(self) -> None:
            self.days.send_pass()

        def _note_stops(self) -> None:
            """Note when the engine learned of each stop; every reply read must have stopped."""
            for lead_id in check.newly_stopped(self.world.sessions, self.stopped_at):
                self.stopped_at[lead_id] = self.days.clock.now
            served = {a for a, uid in self.awaiting_stop.items() if uid in self.world.inbox.served}
            ignored = check.still_going(self.world.sessions, served)
            for address in served:
                del self.awaiting_stop[address]
            assert ignored == []

        def _mailed_lead(self, pick: int) -> tuple[str, str | None] | None:
            with unit_of_work(self.world.sessions) as session:
                mailed = session.execute(
                    select(Lead.email, OutreachMessage.message_id)
                    .join(OutreachMessage, OutreachMessage.lead_id == Lead.id)
                    .where(
                        OutreachMessage.channel == Channel.email,
                        OutreachMessage.status == OutreachStatus.sent,
                    )
                    .order_by(OutreachMessage.id)
                ).all()
                if mailed:
                    email, message_id = mailed[pick % len(mailed)]
                    return email, message_id
                emails = session.scalars(select(Lead.email).order_by(Lead.id)).all()
            return (emails[pick % len(emails)], None) if emails else None

        def _all_reports_reach_slack_once(self) -> None:
            self.world.slack.heal()
            for _ in range(10):
                self.days.clock.advance(minutes=10)
                self.world.deliver_to_slack()
            ids, posted = check.reports_posted(self.world.sessions, self.world.slack)
            assert {i: posted[i] for i in ids} == dict.fromkeys(ids, 1)

    return TeamLife


def test_weeks_of_a_team(db_url: str, sim_smtp: SmtpServer, tmp_path: Path) -> None:
    machine = make_machine(db_url, sim_smtp, tmp_path)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            # The same lives on every run: a CI failure can be run again here, as it was.
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
