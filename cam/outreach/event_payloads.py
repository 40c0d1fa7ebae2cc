"""The events of phases 2 and 3: planning, sending, and the mailboxes' own switches."""

from __future__ import annotations

from cam.core.enums import Limit
from cam.core.events import EventPayload


class OutreachScheduled(EventPayload):
    """One planning pass: leads enrolled in `campaign`, left below its bar, steps planned."""

    name = "cam.outreach_scheduled"

    campaign: str
    enrolled: int
    below_threshold: int
    first_steps: int
    followups: int


class OutreachNotPlanned(EventPayload):
    """A lead whose next step is in the outbox already: its plan needs a look."""

    name = "cam.outreach_not_planned"

    lead_id: int
    step: int
    reason: str


class OutreachSent(EventPayload):
    """One send pass: what it sent or simulated, and what halted it."""

    name = "cam.outreach_sent"

    dry_run: bool
    paused: bool
    halted: Limit | None
    sent: int
    followups: int
    simulated: int
    tasks: int
    failed: int


class OutreachUnknown(EventPayload):
    """Rows left `sending` by a dead claim, flagged `unknown`: they may have gone out."""

    name = "cam.outreach_unknown"

    outreach_ids: list[int]


class MailboxPaused(EventPayload):
    """One mailbox paused or resumed alone, and by whom."""

    name = "cam.mailbox_paused"

    mailbox: str
    paused: bool
    by: str
