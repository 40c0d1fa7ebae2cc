"""Going live: one pending request at a time, decided by two different approvers.

The single pending request holds `GO_LIVE_PENDING_KEY` (a unique dedupe key), released when it
is decided or expires, so two `/cam live` at once give one request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.event_payloads import ApprovalDecided, ApprovalRequested
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    NotificationTopic,
)
from cam.core.notices import ApprovalPayload, notice
from cam.escalation.expiry import expire_stale
from cam.escalation.outcomes import Outcome

GO_LIVE_TTL = timedelta(hours=24)
GO_LIVE_PENDING_KEY = "go_live:pending"


def request_go_live(session: Session, *, requested_by: str, now: datetime) -> Approval:
    """Ask to switch dry-run off; a request still pending and unexpired is reused."""
    expire_stale(session, now)
    pending = _pending_go_live(session)
    if pending is not None:
        return pending
    approval = Approval(
        kind=ApprovalKind.go_live,
        status=ApprovalStatus.pending,
        dedupe_key=GO_LIVE_PENDING_KEY,
        requested_by=requested_by,
        requested_at=now,
        expires_at=now + GO_LIVE_TTL,
    )
    try:
        with session.begin_nested():
            session.add(approval)
    except IntegrityError:
        # Another request won the race for the single pending slot: reuse it.
        pending = _pending_go_live(session)
        if pending is None:
            raise
        return pending
    session.add(notice(NotificationTopic.approval, ApprovalPayload(approval_id=approval.id)))
    events.record(
        session,
        ApprovalRequested(approval_id=approval.id, kind=ApprovalKind.go_live, by=requested_by),
    )
    return approval


def _pending_go_live(session: Session) -> Approval | None:
    return session.scalars(
        select(Approval).where(Approval.dedupe_key == GO_LIVE_PENDING_KEY)
    ).one_or_none()


def four_eyes_refusal(
    session: Session, approval: Approval, by: str, approvers: frozenset[str], now: datetime
) -> Outcome | None:
    """Going live takes two different approvers: one who asks, another who approves.

    A request by someone who is not an approver (one stored before this rule) is withdrawn,
    so that its single pending slot does not block an approver's request until it expires.
    """
    if approval.requested_by not in approvers:
        session.execute(
            update(Approval)
            .where(Approval.id == approval.id, Approval.status == ApprovalStatus.pending)
            .values(status=ApprovalStatus.rejected, decided_at=now, dedupe_key=None)
            .execution_options(synchronize_session=False)
        )
        events.record(
            session,
            ApprovalDecided(approval_id=approval.id, status=ApprovalStatus.rejected, by=None),
        )
        session.refresh(approval)
        return Outcome.withdrawn
    if by == approval.requested_by:
        return Outcome.same_approver
    return None
