"""The dry run: mark due messages `simulated`, within the same caps as a live pass (counted in
`dry:` scopes), and call no gateway, so the whole team day can be previewed."""

from __future__ import annotations

from cam.core import safety
from cam.core.db import unit_of_work
from cam.core.enums import Limit
from cam.core.models import Channel, OutreachStatus
from cam.outreach import sender_mailboxes
from cam.outreach.outbox import Quota
from cam.outreach.send_state import PassState

# Rows a dry run previews in one pass (planning keeps a day far below this).
DRY_RUN_BATCH = 2000


def simulate(state: PassState) -> None:
    """Simulate every message due before the end of the team's day."""
    until = safety.end_of_team_day(state.now, state.config.timezone)
    full: set[tuple[Channel, str, str]] = set()
    with unit_of_work(state.ctx.session_factory) as session:
        paused = sender_mailboxes.paused_keys(session)
        rows = session.execute(state.due(None, until).limit(DRY_RUN_BATCH)).all()
        for row, lead in rows:
            moment = max(row.scheduled_at, state.now)
            sender = state.sender_of(lead) if row.channel is Channel.email else None
            if sender is not None and sender.key in paused:
                state.report.skip(Limit.mailbox_paused)
                continue
            quota = Quota(state.ctx, row.channel, lead.domain, moment, sender)
            lane = (row.channel, sender.key if sender else "", str(quota.day))
            if lane in full:
                state.report.skip(Limit.daily_cap(row.channel))
                continue
            rendered = state.gate(session, row, lead, moment)
            if rendered is None:
                continue
            refused = quota.take(session, state.caps(row.channel, quota.day, sender))
            if refused is not None:
                state.report.skip(refused)
                if refused is Limit.daily_cap(row.channel):
                    full.add(lane)
                continue
            row.status = OutreachStatus.simulated
            row.reason = "dry run: not sent"
            row.sent_at = moment
            row.subject = rendered.subject or None
            row.body = rendered.text
            state.advance(row, lead, moment)
            state.counts.simulated += 1
            state.report.simulated += 1
