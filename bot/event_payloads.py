"""The events the Slack app records itself: what it refused, to whom, and its reloads."""

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


class ConfigReloaded(EventPayload):
    """The mailboxes and snippets files read again (`/cam reload`, SIGHUP), at whose asking;
    with `error`, refused and the files in use kept."""

    name = "cam.config_reloaded"

    by: str
    mailboxes: int = 0
    error: str | None = None
