"""Expiry: a pending approval past its `expires_at` is decided as expired, by nobody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, null, update
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.event_payloads import ApprovalDecided
from cam.core.models import Approval, ApprovalKind, ApprovalStatus


def expire_stale(session: Session, now: datetime) -> int:
    """Mark pending approvals past their expiry as expired; return how many."""
    expired = (
        session.execute(
            update(Approval)
            .where(
                Approval.status == ApprovalStatus.pending,
                Approval.expires_at.is_not(None),
                Approval.expires_at <= now,
            )
            .values(
                status=ApprovalStatus.expired,
                decided_at=now,
                # The go-live slot is released: the next `/cam live` may ask again.
                dedupe_key=case(
                    (Approval.kind == ApprovalKind.go_live, null()), else_=Approval.dedupe_key
                ),
            )
            .returning(Approval.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    for approval_id in expired:
        events.record(
            session,
            ApprovalDecided(approval_id=approval_id, status=ApprovalStatus.expired, by=None),
        )
    session.expire_all()
    return len(expired)
