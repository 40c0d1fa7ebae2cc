"""The last thing that went wrong with each mailbox: a send that failed, or its inbox unread.

`cam mailboxes` shows it beside each mailbox, so a rep whose replies stopped or whose sends
fail sees which mailbox and why without reading the event log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cam.core.models import Lead, MailboxWatch, OutreachMessage, OutreachStatus

_FAILED = (OutreachStatus.failed, OutreachStatus.unknown)


def last_errors(
    session: Session, inbox_names: Mapping[str, str]
) -> dict[str, tuple[datetime, str]]:
    """Return each mailbox's latest error (when, what), by key; `inbox_names` maps each key to
    the name its reply watcher records (its IMAP account)."""
    latest = (
        select(Lead.mailbox, func.max(OutreachMessage.updated_at).label("at"))
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .where(OutreachMessage.status.in_(_FAILED), Lead.mailbox.is_not(None))
        .group_by(Lead.mailbox)
        .subquery()
    )
    rows = session.execute(
        select(Lead.mailbox, OutreachMessage.updated_at, OutreachMessage.reason)
        .join(Lead, Lead.id == OutreachMessage.lead_id)
        .join(
            latest, (latest.c.mailbox == Lead.mailbox) & (latest.c.at == OutreachMessage.updated_at)
        )
        .where(OutreachMessage.status.in_(_FAILED))
    ).all()
    found: dict[str, tuple[datetime, str]] = {}
    for key, at, reason in rows:
        found[str(key)] = (at, f"send: {reason or 'failed'}")
    by_name = {name: key for key, name in inbox_names.items()}
    watches = session.execute(
        select(MailboxWatch.mailbox, MailboxWatch.updated_at, MailboxWatch.last_error).where(
            MailboxWatch.mailbox.in_(list(by_name)), MailboxWatch.last_error.is_not(None)
        )
    ).all()
    for name, at, error in watches:
        key = by_name[name]
        if key not in found or found[key][0] < at:
            found[key] = (at, f"replies: {error}")
    return found
