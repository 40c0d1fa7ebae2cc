"""The INSERT of a batch of imported leads, compiled once and run with the driver's executemany.

`INSERT ... ON CONFLICT (email) DO NOTHING`: a lead already stored is never touched.
"""

from __future__ import annotations

import operator
from typing import Any

from sqlalchemy import Connection

from cam.core import bulk
from cam.core.models import Lead, LeadStatus, utcnow
from cam.leads.rows import ROW_COLUMNS, LeadRow

# Distinct custom-field sets kept serialised (a bound on memory, whatever the file holds).
CUSTOM_MEMO = 4096
_CONSTANT_COLUMNS = (
    "score",
    "score_reasons",
    "status",
    "steps_planned",
    "created_at",
    "updated_at",
)
_LEADS = Lead.__table__


class BatchWriter:
    """Insert batches of rows with one statement compiled once and run with executemany.

    The constant columns are converted once per batch and the rest handed to the driver
    as they are, which keeps the cost per row close to a bare `executemany`.
    """

    def __init__(self, conn: Connection) -> None:
        dialect = conn.dialect
        columns = (*ROW_COLUMNS, *_CONSTANT_COLUMNS)
        statement = bulk.ignoring_conflicts(dialect.name, Lead, on=["email"]).inline()
        compiled = statement.compile(dialect=dialect, column_keys=columns)
        self.sql = compiled.string
        self._names = columns
        # Named parameters (PostgreSQL) take dicts; positional ones (SQLite) tuples, reordered
        # only if the compiled statement lists the columns in another order.
        self._named = not compiled.positional
        positions = [columns.index(name) for name in compiled.positiontup or []]
        in_order = positions == list(range(len(columns)))
        self._reorder = None if self._named or in_order else operator.itemgetter(*positions)
        self._process = {
            name: _LEADS.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in ("custom_fields", *_CONSTANT_COLUMNS)
        }
        self._empty_custom = self._bind("custom_fields", {})
        self._bind_custom = self._process["custom_fields"] or _unchanged
        self._custom_seen: dict[tuple[tuple[str, str], ...], Any] = {}
        # SQLite's driver takes `?`; psycopg's `%s` (both positional).
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._stored_sql: dict[int, str] = {}

    def stored(self, conn: Connection, emails: list[str]) -> list[tuple[str, int]]:
        """Return (email, id) of the given emails already stored, in one query.

        Written out once per batch size: SQLAlchemy's expanding IN would compile the query
        again for every batch, a parameter name per email.
        """
        sql = self._stored_sql.get(len(emails))
        if sql is None:
            marks = ", ".join([self._mark] * len(emails))
            table, email, lead_id = Lead.__tablename__, "email", "id"
            sql = f"SELECT {email}, {lead_id} FROM {table} WHERE {email} IN ({marks})"
            self._stored_sql[len(emails)] = sql
        return [(email, lead_id) for email, lead_id in conn.exec_driver_sql(sql, tuple(emails))]

    def _custom(self, fields: dict[str, str]) -> Any:
        """Serialise custom fields once per distinct set: lists repeat them (industry, region)."""
        key = tuple(fields.items())
        bound = self._custom_seen.get(key)
        if bound is None:
            if len(self._custom_seen) >= CUSTOM_MEMO:
                self._custom_seen.clear()
            bound = self._custom_seen[key] = self._bind_custom(fields)
        return bound

    def _bind(self, name: str, value: Any) -> Any:
        process = self._process[name]
        return value if process is None else process(value)

    def params(self, rows: list[LeadRow]) -> list[Any]:
        """Return the driver's parameters for `rows`, in the compiled statement's order."""
        now = utcnow()
        constants = (
            self._bind("score", 0),
            self._bind("score_reasons", []),
            self._bind("status", LeadStatus.new),
            self._bind("steps_planned", 0),
            self._bind("created_at", now),
            self._bind("updated_at", now),
        )
        empty = self._empty_custom
        custom = self._custom
        out = [
            (*row.values, custom(row.custom_fields) if row.custom_fields else empty, *constants)
            for row in rows
        ]
        if self._named:
            return [dict(zip(self._names, values, strict=True)) for values in out]
        if self._reorder is not None:
            return list(map(self._reorder, out))
        return out


def _unchanged(value: Any) -> Any:
    return value
