"""The declarative base and the column types every table shares."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from pydantic import JsonValue
from sqlalchemy import JSON, Date, DateTime, Dialect
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# A JSON object as a JSON column stores it and as payloads and HTTP bodies carry it.
JsonObject = dict[str, JsonValue]


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: SQLite keeps no zone, PostgreSQL must agree."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[dict[str, Any]]: JSON(),
        enum.Enum: SAEnum(enum.Enum, native_enum=False, length=24, validate_strings=True),
    }
