"""The one place an escalation is requested: an Approval per hot lead, with its reply.

Phase 5 (`cam.escalation.escalations`), an interested reply's card and a triage click all
ask here. Each request has a dedupe key per lead, so concurrent callers insert it once.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cam.core import bulk, events
from cam.core.event_payloads import ApprovalRequested
from cam.core.models import Approval, ApprovalKind, ApprovalStatus, Notification, NotificationTopic
from cam.core.notices import ApprovalPayload, row

BATCH = 500


class ShownOn(enum.Enum):
    """Where the team finds an escalation's buttons."""

    own_message = "own_message"  # a message of its own (phase 5)
    reply_card = "reply_card"  # the card of the reply that made the lead hot: no second one


class Candidate(NamedTuple):
    """A lead to escalate, with the reply that made it hot (None: no reply to show)."""

    lead_id: int
    reply_id: int | None


class Requested(NamedTuple):
    """An escalation this call asked for."""

    approval_id: int
    lead_id: int


def request_escalations(
    session: Session,
    candidates: list[Candidate],
    now: datetime,
    *,
    cycle_id: int | None = None,
    shown_on: ShownOn = ShownOn.own_message,
) -> list[Requested]:
    """Ask for approval of each candidate with none yet; return those asked for."""
    created: list[Requested] = []
    for start in range(0, len(candidates), BATCH):
        created += _insert_escalations(session, candidates[start : start + BATCH], now)
    created.sort()
    if created and shown_on is ShownOn.own_message:
        session.execute(
            insert(Notification),
            [
                row(NotificationTopic.approval, ApprovalPayload(approval_id=r.approval_id))
                for r in created
            ],
        )
    events.record_many(
        session,
        [
            ApprovalRequested(
                approval_id=r.approval_id, kind=ApprovalKind.escalate_lead, lead_id=r.lead_id
            )
            for r in created
        ],
        cycle_id,
    )
    return created


def _insert_escalations(session: Session, batch: list[Candidate], now: datetime) -> list[Requested]:
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
    return [Requested(approval_id, lead_id) for approval_id, lead_id in inserted]
