"""One suppression as the ledger shows it: listed, confirmed before a restore, and kept in the
restore's event as what was lifted."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from cam.core.models import SuppressionKind, SuppressionSource


class LedgerRow(BaseModel):
    """One suppression as the ledger shows it."""

    id: int
    kind: SuppressionKind
    value: str
    source: SuppressionSource
    reason: str
    evidence: str
    decided_by: str | None
    reply_id: int | None
    created_at: datetime
