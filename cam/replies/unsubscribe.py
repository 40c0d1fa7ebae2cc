"""The opt-out itself.

An opt-out is an objection under GDPR Art. 21(3): the address is suppressed forever and its
planned steps never go out. The link's token is in `cam.core.unsubscribe_tokens`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cam.core import events, safety
from cam.core.models import Lead, LeadStatus, Suppression, SuppressionKind
from cam.core.unsubscribe_tokens import normalize_email
from cam.leads import status as lead_status
from cam.outreach import outbox_status
from cam.replies.event_payloads import Unsubscribed


def unsubscribe(
    session: Session, email: str, grounds: safety.Grounds, *, now: datetime | None = None
) -> bool:
    """Suppress `email` forever on `grounds`, stop its lead and skip its planned steps.

    Runs in the caller's transaction. Returns True when this call changed anything (so a
    repeated click, or two concurrent ones, record a single event). `now` is the reading
    cycle's clock, which the digest counts the opt-out by (default: the real time).
    """
    address = normalize_email(email)
    if not address:
        return False
    source = grounds.source.value
    why = f"unsubscribed ({source.replace('_', '-')})"
    added = _suppress(session, address, why, grounds)
    lead_ids = list(session.scalars(select(Lead.id).where(func.lower(Lead.email) == address)))
    leads_changed = 0
    skipped = 0
    if lead_ids:
        leads_changed = _rowcount(
            session.execute(
                update(Lead)
                .where(Lead.id.in_(lead_ids), lead_status.moves_to(LeadStatus.unsubscribed))
                .values(
                    status=LeadStatus.unsubscribed,
                    status_reason=why,
                    next_step_at=None,
                )
                .execution_options(synchronize_session=False)
            )
        )
        skipped = outbox_status.stop_sequences(session, lead_ids, why)
    changed = added or leads_changed > 0 or skipped > 0
    if changed:
        events.record(
            session,
            Unsubscribed(
                email=address,
                source=grounds.source,
                evidence=grounds.evidence,
                by=grounds.decided_by,
                reply_id=grounds.reply_id,
                lead_ids=lead_ids,
                suppressed=added,
                outreach_skipped=skipped,
            ),
            at=now,
        )
    return changed


def _suppress(session: Session, address: str, reason: str, grounds: safety.Grounds) -> bool:
    """Insert the suppression unless it exists (in any case); True when this call inserted it."""
    existing = session.scalar(
        select(Suppression.id).where(
            Suppression.kind == SuppressionKind.email, func.lower(Suppression.value) == address
        )
    )
    if existing is not None:
        return False
    return safety.suppress(session, SuppressionKind.email, address, reason, grounds)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
