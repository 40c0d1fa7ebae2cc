"""The one place an escalation is requested: an Approval per hot lead, with its reply.

Phase 5 (`cam.escalation.escalations`), an interested reply's card and a triage click all
ask here. Each request has a dedupe key per lead, so concurrent callers insert it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cam.core import bulk, events
from cam.core.models import Approval, ApprovalKind, ApprovalStatus, Notification, NotificationTopic
from cam.core.notices import ApprovalPayload, row

BATCH = 500


def request_escalations(
    session: Session,
    candidates: list[tuple[int, int | None]],
    now: datetime,
    *,
    cycle_id: int | None = None,
    notify: bool = True,
) -> list[tuple[int, int | None]]:
    """Ask for approval of each (lead id, reply id) with none yet; return (approval, lead) ids.

    `notify=False` when the reply's own card carries the approval's buttons: no second message.
    """
    created: list[tuple[int, int | None]] = []
    for start in range(0, len(candidates), BATCH):
        created += _insert_escalations(session, candidates[start : start + BATCH], now)
    created.sort()
    if created and notify:
        session.execute(
            insert(Notification),
            [
                row(NotificationTopic.approval, ApprovalPayload(approval_id=aid))
                for aid, _ in created
            ],
        )
    events.record_many(
        session,
        events.APPROVAL_REQUESTED,
        [
            {"approval_id": aid, "kind": ApprovalKind.escalate_lead.value, "lead_id": lid}
            for aid, lid in created
        ],
        cycle_id,
    )
    return created


def _insert_escalations(
    session: Session, batch: list[tuple[int, int | None]], now: datetime
) -> list[tuple[int, int | None]]:
    """Insert pending escalations, skipping any another instance inserted first."""
    if not batch:
        return []
    rows = [
        {
            "kind": ApprovalKind.escalate_lead,
            "status": ApprovalStatus.pending,
            "dedupe_key": f"escalate_lead:{lead_id}",
            "lead_id": lead_id,
            "reply_id": reply_id,
            "requested_by": "cam",
            "requested_at": now,
        }
        for lead_id, reply_id in batch
    ]
    inserted = bulk.insert_ignoring(
        session, Approval, rows, on=["dedupe_key"], returning=[Approval.id, Approval.lead_id]
    )
    return [(approval_id, lead_id) for approval_id, lead_id in inserted]
