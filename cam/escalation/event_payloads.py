"""The events of phase 5 and of decisions: approvals decided or refused, the CRM call, tasks."""

from __future__ import annotations

from cam.core.enums import TaskStatus
from cam.core.events import EventPayload


class LeadsEscalated(EventPayload):
    """Phase 5: escalations asked for hot leads that had none."""

    name = "cam.leads_escalated"

    count: int


class ApprovalRefused(EventPayload):
    """An attempt to decide an approval, turned down, and why."""

    name = "cam.approval_refused"

    approval_id: int
    by: str
    reason: str


class CrmSynced(EventPayload):
    """An approved lead in the CRM, with the ids it has there."""

    name = "cam.crm_synced"

    approval_id: int
    lead_id: int | None
    contact_id: str | None
    deal_id: str | None


class TaskDecided(EventPayload):
    """A manual task done or skipped, by whom, with the note they left."""

    name = "cam.task_decided"

    task_id: int
    lead_id: int
    status: TaskStatus
    by: str
    note: str | None
