"""The events of the cycle as a whole and of what several packages share: runs, errors,
approvals asked for and decided, the team's switches."""

from __future__ import annotations

from cam.core.enums import ApprovalKind, ApprovalStatus, RunKind, RunStatus
from cam.core.events import EventPayload


class CycleStarted(EventPayload):
    name = "cam.cycle_started"

    kind: RunKind
    slot: str | None
    trigger: str
    dry_run: bool


class CycleCompleted(EventPayload):
    name = "cam.cycle_completed"

    kind: RunKind
    status: RunStatus
    errors: int


class Failure(EventPayload):
    """An error a phase, the cycle or the CRM call met: `item` is what it was working on,
    `approval_id` the escalation a CRM call was for."""

    name = "cam.error"

    phase: str
    item: str | None = None
    approval_id: int | None = None
    message: str


class ApprovalDecided(EventPayload):
    """An approval decided by `by`, or expired or withdrawn (`by` None, or the person whose
    confirmed opt-out withdrew it); a decision by a person names its kind and lead."""

    name = "cam.approval_decided"

    approval_id: int
    kind: ApprovalKind | None = None
    status: ApprovalStatus
    by: str | None
    lead_id: int | None = None


class ApprovalRequested(EventPayload):
    """An approval asked for: an escalation names its lead, going live who asked."""

    name = "cam.approval_requested"

    approval_id: int
    kind: ApprovalKind
    lead_id: int | None = None
    by: str | None = None


class StateChanged(EventPayload):
    """A team switch moved (dry run or paused; the one that moved is set), and by whom."""

    name = "cam.state_changed"

    by: str
    dry_run: bool | None = None
    paused: bool | None = None
