"""Phase 3: send what is due, exactly once, within every limit, counted in the database.

The outbox protocol, for crash safety:
1. claim one due `planned` row in its own committed transaction: status `sending`, who and
   when, `attempts + 1`, its Message-ID, and the quota taken by conditional UPDATEs (on
   PostgreSQL the row is picked with `FOR UPDATE SKIP LOCKED`, so instances never share one);
2. hand it to the gateway;
3. commit the outcome: `sent`; a 4xx back to `planned` later with its quota given back; a 5xx
   `failed` with the lead bounced and suppressed; no connection: claim given back, error.
A row still `sending` after the lease belongs to a process that died somewhere between 1 and
3: it becomes `unknown`, for a person to check, and is never sent again blindly.

A dry run marks due messages `simulated` (counted in `dry:` scopes, so within the same caps)
and calls no gateway; it previews the whole team day. Going live plans simulated rows again.

The parts, each taking the pass's shared state (`send_state.PassState`): claiming and handing
over emails (`email_sending`), recording outcomes (`send_outcomes`), LinkedIn tasks
(`task_posting`) and the dry run (`simulation`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cam.core import events
from cam.core.context import CycleContext
from cam.core.db import unit_of_work
from cam.core.enums import Limit
from cam.core.models import CampaignStep, Channel
from cam.core.state import get_state
from cam.outreach import outbox_status, sender_mailboxes
from cam.outreach.event_payloads import OutreachSent
from cam.outreach.send_email import send_emails
from cam.outreach.send_state import PassState
from cam.outreach.simulation import simulate
from cam.outreach.task_posting import post_tasks

# How long a claim may stay `sending` before its process is taken for dead.
CLAIM_LEASE = timedelta(minutes=10)


def send_due_outreach(ctx: CycleContext) -> None:
    """Send (or, in a dry run, simulate) every message that is due, within the limits."""
    SendPass(ctx).run()


class SendPass:
    """One pass over the due outbox rows of every enabled channel."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.state = PassState(ctx)

    def run(self) -> None:
        """Prepare, send or simulate, and record what the pass did, even when it halted."""
        self._prepare()
        state = self.state
        if state.halted is None:
            if self.ctx.dry_run:
                simulate(state)
            else:
                self._send_live()
        counts = state.counts
        with unit_of_work(self.ctx.session_factory) as session:
            events.record(
                session,
                OutreachSent(
                    dry_run=self.ctx.dry_run,
                    paused=state.halted is Limit.paused,
                    halted=state.halted,
                    sent=counts.sent,
                    followups=counts.followups,
                    simulated=counts.simulated,
                    tasks=counts.tasks,
                    failed=counts.failed,
                ),
                cycle_id=self.ctx.cycle_id,
            )

    def _prepare(self) -> None:
        """Expire dead claims, read the switches, mailboxes and steps, and replan when live."""
        state = self.state
        with unit_of_work(self.ctx.session_factory) as session:
            state.report.unknown_outcomes += outbox_status.expire_stale_claims(
                session, state.now - CLAIM_LEASE
            )
            stored = get_state(session)
            state.linkedin_started_on = stored.mailbox_started_on
            state.started_on = {
                key: sender_mailboxes.started_on(session, key) for key in state.senders
            }
            if state.config.mailboxes:
                sender_mailboxes.assign_unowned(session, state.config, state.now)
            if self.ctx.mode_at_start is None:
                self.ctx.mode_at_start = stored.mode
            for step in session.scalars(select(CampaignStep)):
                state.steps.setdefault(step.campaign_id, {})[step.position] = step
            if not state.is_halted(session) and not self.ctx.dry_run:
                outbox_status.replan_simulated(session)

    def _send_live(self) -> None:
        config = self.state.config
        if Channel.email in config.channels_enabled:
            send_emails(self.state)
        if Channel.linkedin in config.channels_enabled:
            if self.ctx.gateways.social.configured:
                post_tasks(self.state)
            else:
                self.state.not_configured(Channel.linkedin, None)
