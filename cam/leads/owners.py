"""The owner column of an import: each row's owner must be a mailbox of the mailboxes file.

A spreadsheet's `Owner` is a rep's name as the office writes it (`maya`, `maya@acme.example`,
her Slack ID). One the file does not know (`petra`, who left) is a mistake to fix, not a lead
to deal silently to someone else: the row is refused, unless the import asks to spread them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from cam.leads.rows import LeadRow

KEPT_OWNER_NAMES = 5


class OwnerFallback(StrEnum):
    """What a row whose owner is no mailbox of the file becomes."""

    error = "error"  # rejected, with the mailboxes it could name
    spread = "spread"  # imported, counted, and dealt to the roomiest mailbox like an unowned one


class OwnerCheck:
    """Each row's owner against the mailboxes file's keys, addresses and owners."""

    def __init__(self, owners: Mapping[str, str], fallback: OwnerFallback) -> None:
        self._owners = owners
        self._fallback = fallback
        self.unknown = 0
        self.names: list[str] = []

    def problem(self, row: LeadRow) -> str | None:
        owner = row.custom_fields.get("owner", "")
        if not owner or owner.lower() in self._owners:
            return None
        if self._fallback is OwnerFallback.spread:
            self.unknown += 1
            if owner not in self.names and len(self.names) < KEPT_OWNER_NAMES:
                self.names.append(owner)
            return None
        keys = ", ".join(sorted(set(self._owners.values())))
        return (
            f"unknown owner {owner!r}: not a mailbox of the mailboxes file ({keys}); fix the "
            "row, add the mailbox, or import with --owner-fallback spread"
        )
