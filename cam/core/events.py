"""The event log: every step of the engine leaves a row and a log line.

An event that someone reads back (the digest) carries a pydantic payload, registered under its
name in `PAYLOADS`: the writer records the model, the reader names the model's fields in SQL
through `field()`, so neither side spells a JSON key.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, insert
from sqlalchemy.orm import Session

from cam.core.models import Event, utcnow

log = logging.getLogger(__name__)

CYCLE_STARTED = "cam.cycle_started"
LEADS_PROCESSED = "cam.leads_processed"
OUTREACH_SCHEDULED = "cam.outreach_scheduled"
OUTREACH_SENT = "cam.outreach_sent"
OUTREACH_UNKNOWN = "cam.outreach_unknown"
OUTREACH_NOT_PLANNED = "cam.outreach_not_planned"
REPLIES_DETECTED = "cam.replies_detected"
# A mailbox renumbered from 1 under the same UIDVALIDITY: read again from its start.
MAILBOX_RESET = "cam.mailbox_reset"
# A UID the server left out of its FETCH answers read after read: the cursor moved past it.
REPLY_UID_GIVEN_UP = "cam.reply_uid_given_up"
LEADS_ESCALATED = "cam.leads_escalated"
CYCLE_COMPLETED = "cam.cycle_completed"
ERROR = "cam.error"
APPROVAL_REQUESTED = "cam.approval_requested"
APPROVAL_DECIDED = "cam.approval_decided"
APPROVAL_REFUSED = "cam.approval_refused"
# A `/cam` command refused to someone who may not use it.
COMMAND_REFUSED = "cam.command_refused"
CRM_SYNCED = "cam.crm_synced"
STATE_CHANGED = "cam.state_changed"
MAILBOX_PAUSED = "cam.mailbox_paused"
UNSUBSCRIBED = "cam.unsubscribed"
# A mail-system notice naming recipients we never mailed, or citing nothing of ours: stored,
# nobody suppressed.
BOUNCE_UNVERIFIED = "cam.bounce_unverified"
# A suppression lifted by a person, with who and why.
SUPPRESSION_RESTORED = "cam.suppression_restored"
TASK_DECIDED = "cam.task_decided"
LEADS_IMPORTED = "cam.leads_imported"
LEADS_IMPORT_REFUSED = "cam.leads_import_refused"


class WrongPayload(TypeError):
    """A payload model that is not the one its event name carries."""


class EventPayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LeadsProcessed(EventPayload):
    """One qualify pass: leads looked at, turned away, and scored (the digest's "qualified")."""

    processed: int = Field(ge=0)
    disqualified: int = Field(ge=0)
    scored: int = Field(ge=0)


PAYLOADS: dict[str, type[EventPayload]] = {LEADS_PROCESSED: LeadsProcessed}


def _details(name: str, details: dict[str, Any] | EventPayload | None) -> dict[str, Any]:
    """The JSON to store; an event with a registered model must be given that model."""
    model = PAYLOADS.get(name)
    if model is not None and type(details) is not model:
        raise WrongPayload(f"a {name} event carries {model.__name__}")
    if isinstance(details, EventPayload):
        return details.model_dump(mode="json")
    return details or {}


def field(name: str, key: str) -> ColumnElement[int]:
    """The integer field `key` of event `name`'s payload in SQL; `key` must be a field of the
    name's model."""
    model = PAYLOADS.get(name)
    if model is None or key not in model.model_fields:
        raise WrongPayload(f"a {name} event has no {key}")
    column: ColumnElement[int] = Event.details[key].as_integer()
    return column


def record(
    session: Session,
    name: str,
    details: dict[str, Any] | EventPayload | None = None,
    cycle_id: int | None = None,
    *,
    at: datetime | None = None,
) -> Event:
    """Add an event to the session and log it; it lands when the session commits.

    `at` is the cycle's clock where a digest counts the event by its day: a cycle run on an
    injected clock (the demo, a simulation) is counted on the day it ran.
    """
    stored = _details(name, details)
    event = Event(name=name, details=stored, cycle_id=cycle_id, created_at=at or utcnow())
    session.add(event)
    log.info("%s cycle=%s %s", name, cycle_id, stored)
    return event


def record_many(
    session: Session, name: str, details: list[dict[str, Any]], cycle_id: int | None = None
) -> None:
    """Insert one event per item in a single executemany, and log one line for them all."""
    if not details:
        return
    session.execute(
        insert(Event), [{"name": name, "details": d, "cycle_id": cycle_id} for d in details]
    )
    log.info("%s cycle=%s x%d", name, cycle_id, len(details))
