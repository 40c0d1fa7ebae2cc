"""The event log: every step of the engine leaves a row and a log line.

Each event is a pydantic model that names itself (`name`) and registers under that name in
`PAYLOADS` as its class is made, so a package defines its own events (in its
`event_payloads` module) without `core` importing it. The writer records the model; a reader
selects rows by `Model.name` and names the model's fields in SQL through `field()`, so neither
side spells an event name or a JSON key.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, insert
from sqlalchemy.orm import Session

from cam.core.columns import JsonObject
from cam.core.models import Event, utcnow

log = logging.getLogger(__name__)


class WrongPayload(TypeError):
    """Something recorded as an event that is not an event model, or a field it lacks."""


class EventPayload(BaseModel):
    """What one event carries. A field the writer leaves out is left out of the stored JSON
    (`exclude_unset`), as the keys of the rows written before the models were; its default
    says what such a row means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not isinstance(name, str):
            raise TypeError(f"{cls.__name__} names no event: set `name`")
        if name in PAYLOADS:
            raise TypeError(f"{name} is carried by {PAYLOADS[name].__name__} already")
        PAYLOADS[name] = cls


PAYLOADS: dict[str, type[EventPayload]] = {}


def _stored(payload: EventPayload) -> JsonObject:
    """The JSON the event keeps in `Event.details`: enums as their values, keys by alias."""
    if not isinstance(payload, EventPayload):
        raise WrongPayload(f"an event is an EventPayload, not {type(payload).__name__}")
    return payload.model_dump(mode="json", by_alias=True, exclude_unset=True)


def field(model: type[EventPayload], key: str) -> ColumnElement[int]:
    """The integer field `key` of `model`'s events in SQL; `key` must be an int field of it."""
    info = model.model_fields.get(key)
    if info is None or info.annotation not in (int, int | None):
        raise WrongPayload(f"a {model.name} event has no integer {key}")
    column: ColumnElement[int] = Event.details[info.alias or key].as_integer()
    return column


def record(
    session: Session,
    payload: EventPayload,
    cycle_id: int | None = None,
    *,
    at: datetime | None = None,
) -> Event:
    """Add the event to the session and log it; it lands when the session commits.

    `at` is the cycle's clock where a digest counts the event by its day: a cycle run on an
    injected clock (the demo, a simulation) is counted on the day it ran.
    """
    stored = _stored(payload)
    event = Event(name=payload.name, details=stored, cycle_id=cycle_id, created_at=at or utcnow())
    session.add(event)
    log.info("%s cycle=%s %s", payload.name, cycle_id, stored)
    return event


def record_many(
    session: Session, payloads: Sequence[EventPayload], cycle_id: int | None = None
) -> None:
    """Insert one event per payload in a single executemany, and log one line per name."""
    if not payloads:
        return
    rows = [{"details": _stored(p), "name": p.name, "cycle_id": cycle_id} for p in payloads]
    session.execute(insert(Event), rows)
    for name, count in Counter(p.name for p in payloads).items():
        log.info("%s cycle=%s x%d", name, cycle_id, count)
