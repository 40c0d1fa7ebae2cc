"""Every event is its model: `record` takes nothing else, each registered model comes back from
the JSON it stored as it was written (the keys left out left out), and a reader names only an
integer field a model has."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import types
import typing
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

import bot
import cam
from cam.core import events
from cam.core.db import unit_of_work
from cam.core.enums import Disqualification
from cam.core.event_payloads import CycleStarted
from cam.core.models import Event, RunKind
from cam.core.notices import CyclePayload
from cam.core.report import CAMCycleReport
from cam.leads.event_payloads import LeadsProcessed
from cam.outreach.event_payloads import OutreachScheduled


def every_model() -> list[type[events.EventPayload]]:
    """Import each package's `event_payloads` module; return the registered models."""
    for package in (cam, bot):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith(".event_payloads"):
                importlib.import_module(module.name)
    return list(events.PAYLOADS.values())


def sample(annotation: typing.Any) -> typing.Any:
    """A value of the field's type that is not its default."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return sample(next(a for a in args if a is not type(None)))
    if origin is list:
        return [sample(args[0]), sample(args[0])]
    if origin is dict:
        return {sample(args[0]): sample(args[1])}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return list(annotation)[-1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation(**{k: sample(f.annotation) for k, f in annotation.model_fields.items()})
    moment = datetime(2026, 11, 25, 8, tzinfo=UTC)
    return {bool: True, int: 7, str: "Dr. <O'Brien> & co", datetime: moment}[annotation]


def filled(model: type[events.EventPayload], *, all_fields: bool) -> events.EventPayload:
    fields = model.model_fields.items()
    return model.model_validate(
        {f.alias or k: sample(f.annotation) for k, f in fields if all_fields or f.is_required()}
    )


def test_the_packages_register_an_event_model_for_each_name():
    models = every_model()
    assert len(models) == len({model.name for model in models}) >= 29
    assert all(model.name.startswith("cam.") for model in models)
    assert events.PAYLOADS[CycleStarted.name] is CycleStarted


def test_every_event_model_comes_back_from_its_stored_json(sessions):
    models = every_model()
    full = [filled(model, all_fields=True) for model in models]
    bare = [filled(model, all_fields=False) for model in models]
    with unit_of_work(sessions) as session:
        for payload in full:
            events.record(session, payload, at=datetime(2026, 11, 25, 9, tzinfo=UTC))
        session.flush()
        events.record_many(session, bare)
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(Event).order_by(Event.id)).all()
        stored = [(row.name, row.details) for row in rows]
    assert len(stored) == 2 * len(models)
    for payload, (name, details) in zip(full + bare, stored, strict=True):
        model = type(payload)
        assert name == model.name
        assert model.model_validate(details) == payload
        # A key the writer did not give is not stored: a row keeps the shape it had as a dict.
        assert set(details) == {model.model_fields[k].alias or k for k in payload.model_fields_set}


def test_an_event_keeps_enums_as_their_values_and_a_python_keyword_by_its_alias(sessions):
    every_model()
    unverified = events.PAYLOADS["cam.bounce_unverified"]
    notice = unverified.model_validate(
        {"mailbox": "main", "message_id": "<n@mx>", "from": "MAILER-DAEMON", "why": "no match"}
    )
    scheduled = OutreachScheduled(
        campaign="main", enrolled=2, below_threshold=1, first_steps=2, followups=0
    )
    started = CycleStarted(kind=RunKind.daily, slot=None, trigger="scheduler", dry_run=True)
    with unit_of_work(sessions) as session:
        for payload in (notice, scheduled, started):
            events.record(session, payload)
    with unit_of_work(sessions) as session:
        stored = session.scalars(select(Event.details).order_by(Event.id)).all()
    assert stored == [
        {"mailbox": "main", "message_id": "<n@mx>", "from": "MAILER-DAEMON", "why": "no match"},
        {"campaign": "main", "enrolled": 2, "below_threshold": 1, "first_steps": 2, "followups": 0},
        {"kind": "daily", "slot": None, "trigger": "scheduler", "dry_run": True},
    ]


def test_record_takes_an_event_model_and_nothing_else(sessions):
    with unit_of_work(sessions) as session:
        with pytest.raises(events.WrongPayload):
            events.record(session, {"processed": 3, "scored": 2})  # type: ignore[arg-type]
        with pytest.raises(events.WrongPayload):
            events.record_many(session, [{"processed": 3}])  # type: ignore[list-item]
        with pytest.raises(events.WrongPayload):
            events.record(session, CyclePayload(cycle_id=1))  # type: ignore[arg-type]
    with unit_of_work(sessions) as session:
        assert session.scalars(select(Event)).all() == []


def test_a_name_is_carried_by_one_model_only():
    with pytest.raises(TypeError, match="already"):

        class Again(events.EventPayload):
            name = LeadsProcessed.name

    with pytest.raises(TypeError, match="names no event"):

        class Nameless(events.EventPayload):
            count: int

    assert events.PAYLOADS[LeadsProcessed.name] is LeadsProcessed


def test_a_reader_sums_an_integer_field_in_sql(sessions):
    with unit_of_work(sessions) as session:
        events.record(session, LeadsProcessed(processed=3, disqualified=1, scored=2))
        events.record(session, LeadsProcessed(processed=4, disqualified=0, scored=4))
    with unit_of_work(sessions) as session:
        total = session.scalar(
            select(func.sum(events.field(LeadsProcessed, "scored"))).where(
                Event.name == LeadsProcessed.name
            )
        )
    assert total == 6


def test_only_an_integer_field_of_the_model_can_be_read_in_sql():
    with pytest.raises(events.WrongPayload):
        events.field(LeadsProcessed, "qualified")
    with pytest.raises(events.WrongPayload):
        events.field(CycleStarted, "scored")
    with pytest.raises(events.WrongPayload):
        events.field(OutreachScheduled, "campaign")


def test_a_report_stored_with_words_reads_back_as_kinds():
    stored = {"start": "2026-11-25T08:00:00Z", "disqualified_why": {"on a blocked domain": 2}}
    report = CAMCycleReport.model_validate(stored)
    assert report.disqualified_why == {Disqualification.blocked_domain: 2}
    assert CAMCycleReport.model_validate(report.model_dump(mode="json")) == report
