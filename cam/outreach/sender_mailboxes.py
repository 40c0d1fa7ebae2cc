"""Each sender mailbox at run time: which leads it owns, whether it is paused, its warm-up day.

A lead belongs to one mailbox for its whole sequence, so every follow-up leaves from the
address the first email came from, in the same thread. The owner comes from the lead's
`owner` column (a mailbox key, its address or its owner's Slack user ID); otherwise new leads
are spread over the active, unpaused mailboxes by what each can still send today.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from cam.core import bulk, events, safety
from cam.core.config import CAMCycleConfig, Sender
from cam.core.enums import SendMode
from cam.core.mailboxes import DEFAULT_KEY
from cam.core.models import (
    Channel,
    Lead,
    MailboxState,
    OutreachMessage,
    OutreachStatus,
    utcnow,
)
from cam.core.state import get_state
from cam.leads import status as lead_status
from cam.outreach.event_payloads import MailboxPaused

SENT_OR_PLANNED = (
    OutreachStatus.planned,
    OutreachStatus.sending,
    OutreachStatus.sent,
    OutreachStatus.simulated,
    OutreachStatus.unknown,
)


class UnknownMailbox(ValueError):
    """No mailbox of the team has this key."""


def scope(mode: SendMode, key: str) -> str:
    """The daily quota scope of a mailbox (the default keeps the channel's, as before)."""
    if key == DEFAULT_KEY:
        return safety.channel_scope(mode, Channel.email)
    return f"{mode.value}:mailbox:{key}"


def hour_scope(mode: SendMode, key: str) -> str:
    """The hourly quota scope of a mailbox."""
    if key == DEFAULT_KEY:
        return safety.hourly_scope(mode, Channel.email)
    return f"{scope(mode, key)}:hour"


def _state_of(key: str) -> Select[MailboxState]:
    return select(MailboxState).where(MailboxState.key == key)


def _ensure(session: Session, key: str) -> None:
    """Create the mailbox's row if missing; two instances racing both succeed."""
    bulk.insert_ignoring(
        session, MailboxState, [{"key": key, "paused": False, "updated_at": utcnow()}]
    )


def started_on(session: Session, key: str) -> date | None:
    """Return the first day the mailbox sent for real: its warm-up ramp counts from it."""
    if key == DEFAULT_KEY:
        return get_state(session).mailbox_started_on
    state = session.scalars(_state_of(key)).one_or_none()
    return state.started_on if state is not None else None


def mark_started(session: Session, key: str, day: date) -> date:
    """Start the mailbox's warm-up ramp on `day` unless it started before; return its start."""
    if key == DEFAULT_KEY:
        runtime = get_state(session, for_update=True)
        if runtime.mailbox_started_on is None:
            runtime.mailbox_started_on = day
        return runtime.mailbox_started_on
    _ensure(session, key)
    state = session.scalars(_state_of(key).with_for_update()).one()
    if state.started_on is None:
        state.started_on = day
    return state.started_on


def cap_today(session: Session, sender: Sender, day: date) -> int:
    """Return the mailbox's cap on `day`, on its warm-up ramp."""
    start = started_on(session, sender.key)
    return sender.limits.cap_on_day((day - start).days if start is not None else 0)


def paused_keys(session: Session) -> set[str]:
    """Return the mailboxes paused alone (the team's kill switch is `state.paused`)."""
    return set(session.scalars(select(MailboxState.key).where(MailboxState.paused)))


def set_paused(
    session: Session, config: CAMCycleConfig, key: str, *, paused: bool, by: str
) -> bool:
    """Pause or resume one mailbox; return whether it changed. Raise `UnknownMailbox`."""
    if key not in {sender.key for sender in config.senders()}:
        raise UnknownMailbox(key)
    _ensure(session, key)
    changed = session.execute(
        update(MailboxState)
        .where(MailboxState.key == key, MailboxState.paused.is_not(paused))
        .values(paused=paused, paused_by=by, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        return False
    events.record(session, MailboxPaused(mailbox=key, paused=paused, by=by))
    return True


def owner_of(config: CAMCycleConfig, owner: str) -> str | None:
    """Return the key of the mailbox an `owner` value names (key, address or Slack ID)."""
    wanted = owner.strip()
    if not wanted:
        return None
    for sender in config.senders():
        if wanted.lower() in (sender.key, sender.address, sender.owner.lower()):
            return sender.key
    return None


def assign_unowned(session: Session, config: CAMCycleConfig, now: datetime) -> int:
    """Give each enrolled lead without a mailbox one: its owner's, else the roomiest today.

    One query for the leads, one for today's load per mailbox; the moves in one UPDATE each.
    """
    leads = session.execute(
        select(Lead.id, Lead.custom_fields)
        .where(
            Lead.mailbox.is_(None),
            Lead.campaign_id.is_not(None),
            Lead.status.in_(sorted(lead_status.ENROLLED)),
        )
        .order_by(Lead.id)
    ).all()
    if not leads:
        return 0
    room = _room_today(session, config, now)
    chosen: dict[str, list[int]] = {}
    for lead_id, custom in leads:
        key = owner_of(config, str((custom or {}).get("owner", "")))
        if key is None and room:
            key = max(room, key=room.__getitem__)  # the first of the roomiest
            room[key] -= 1
        if key is not None:
            chosen.setdefault(key, []).append(lead_id)
    for key, ids in chosen.items():
        session.execute(
            update(Lead)
            .where(Lead.id.in_(ids), Lead.mailbox.is_(None))
            .values(mailbox=key)
            .execution_options(synchronize_session=False)
        )
    return sum(len(ids) for ids in chosen.values())


def mailbox_for(session: Session, config: CAMCycleConfig, lead: Lead, now: datetime) -> str | None:
    """The mailbox an unassigned lead would get: its owner's, else the roomiest today."""
    key = owner_of(config, str((lead.custom_fields or {}).get("owner", "")))
    if key is not None:
        return key
    room = _room_today(session, config, now)
    return max(room, key=room.__getitem__) if room else None


def _room_today(session: Session, config: CAMCycleConfig, now: datetime) -> dict[str, int]:
    """What each active, unpaused mailbox can still take today: its cap less what is planned
    or sent today."""
    paused = paused_keys(session)
    senders = [s for s in config.senders() if s.active and s.key not in paused]
    day = safety.team_day(now, config.timezone)
    start, end = safety.team_day_bounds(day, config.timezone)
    load = Counter(
        dict(
            session.execute(
                select(Lead.mailbox, func.count(OutreachMessage.id))
                .join(Lead, Lead.id == OutreachMessage.lead_id)
                .where(
                    OutreachMessage.channel == Channel.email,
                    OutreachMessage.status.in_(SENT_OR_PLANNED),
                    OutreachMessage.scheduled_at >= start,
                    OutreachMessage.scheduled_at < end,
                )
                .group_by(Lead.mailbox)
            ).all()
        )
    )
    return {s.key: cap_today(session, s, day) - load.get(s.key, 0) for s in senders}
