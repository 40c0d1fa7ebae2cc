"""The events the Slack app records itself: what it refused, to whom."""

from __future__ import annotations

from cam.core.events import EventPayload


class CommandRefused(EventPayload):
    """A `/cam` command or a button refused to someone who may not use it."""

    name = "cam.command_refused"

    by: str
    action: str


class LeadsImportRefused(EventPayload):
    """A file shared for import and turned away (too big, not a CSV), and why."""

    name = "cam.leads_import_refused"

    file: str
    file_id: str
    by: str
    reason: str
