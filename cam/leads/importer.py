"""`cam leads import`: stream a CSV of leads into the database, in batches, flat in memory.

Rows are read one at a time, checked, deduplicated (case-insensitively, within the file and
against the database) and inserted a batch at a time, each batch in its own transaction with
`INSERT ... ON CONFLICT (email) DO NOTHING`. Rows that cannot be imported are reported with
their line number and written, formula-safe, to an errors CSV.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import BaseModel
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from cam.core import events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Lead, LeadStatus, utcnow
from cam.leads.csv_files import (
    DELIMITER_NAMES,
    EncodingError,
    SafeCsvWriter,
    detect_delimiter,
    detect_encoding,
)
from cam.leads.rows import (
    MAX_CUSTOM_VALUE,
    ROW_COLUMNS,
    ColumnMap,
    HeaderError,
    LeadRow,
    read_row,
)

BATCH_SIZE = 10_000
# The csv module's own ceiling on a field; longer ones are a row error, not a crash.
FIELD_LIMIT = 4 * 1024 * 1024
# A line longer than this is skipped unread, so one bad line cannot fill the memory.
LINE_LIMIT = 2 * FIELD_LIMIT
KEPT_ERRORS = 100
# Distinct custom-field sets kept serialised (a bound on memory, whatever the file holds).
CUSTOM_MEMO = 4096

ProgressCallback = Callable[[int, int], None]
_CONSTANT_COLUMNS = (
    "score",
    "score_reasons",
    "status",
    "steps_planned",
    "created_at",
    "updated_at",
)
_LEADS = Lead.__table__


class ImportFileError(Exception):
    """The file as a whole cannot be imported: unreadable, wrong encoding, no email column."""


class RowError(BaseModel):
    line: int
    reason: str


class ImportResult(BaseModel):
    """What an import did; `rows` = imported + already_present + duplicates + invalid."""

    file: str
    encoding: str
    encoding_note: str | None = None
    delimiter: str = ","
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    duplicates_in_file: int = 0
    invalid: int = 0
    errors_file: Path | None = None
    # The first `KEPT_ERRORS` rejected rows; all of them are in `errors_file`.
    errors: list[RowError] = []

    @property
    def rejected(self) -> int:
        return self.duplicates_in_file + self.invalid


class _Lines:
    """The lines of a text stream, cutting short any longer than `limit` (flat memory).

    A line too long is skipped and stands as an empty line; `flagged` counts it, and every
    line holding a NUL byte, so the reader can reject the record it falls in.
    """

    def __init__(self, stream: IO[str], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.flagged = 0
        self.why = ""

    def __iter__(self) -> Iterator[str]:
        readline, limit = self._stream.readline, self._limit
        while line := readline(limit):
            if len(line) == limit and not line.endswith(("\n", "\r")):
                while (rest := readline(limit)) and len(rest) == limit:
                    if rest.endswith(("\n", "\r")):
                        break
                self._flag(f"line is longer than {limit} characters")
                line = "\n"
            elif "\x00" in line:
                self._flag("contains a NUL byte")
            yield line

    def _flag(self, why: str) -> None:
        self.flagged += 1
        self.why = why


class _ErrorSink:
    """The errors CSV, created on the first rejected row only."""

    def __init__(self, path: Path | None, header: list[str]) -> None:
        self.path = path
        self._header = header
        self._file: IO[str] | None = None
        self._writer: SafeCsvWriter | None = None

    def write(self, line: int, reason: str, fields: list[str]) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = SafeCsvWriter(self._file)
            self._writer.writerow(["line", "error", *self._header])
        cells = [f[:MAX_CUSTOM_VALUE] + "…" if len(f) > MAX_CUSTOM_VALUE else f for f in fields]
        self._writer.writerow([str(line), reason, *cells])

    @property
    def written(self) -> bool:
        return self._writer is not None

    def __enter__(self) -> _ErrorSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while rows stream in.

    A batch keeps thousands of rows alive, and the collector would walk them again and again
    (a third of an import's time) though rows hold no reference cycles: reference counting
    frees each batch as soon as it is written.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _insert_statement(dialect_name: str) -> Insert:
    if dialect_name == "sqlite":
        return sqlite.insert(Lead).on_conflict_do_nothing(index_elements=["email"]).inline()
    if dialect_name == "postgresql":
        return postgresql.insert(Lead).on_conflict_do_nothing(index_elements=["email"]).inline()
    return insert(Lead).inline()


class _BatchWriter:
    """Insert batches of rows with one statement compiled once and run with executemany.

    The constant columns are converted once per batch and the rest handed to the driver
    as they are, which keeps the cost per row close to a bare `executemany`.
    """

    def __init__(self, conn: Connection) -> None:
        dialect = conn.dialect
        columns = (*ROW_COLUMNS, *_CONSTANT_COLUMNS)
        compiled = _insert_statement(dialect.name).compile(dialect=dialect, column_keys=columns)
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


class _Importer:
    """Counts, rejects and batches rows; plain attributes, as they change on every row."""

    def __init__(self, sessions: SessionFactory, sink: _ErrorSink, batch_size: int) -> None:
        self._sessions = sessions
        self._sink = sink
        self._batch_size = batch_size
        self._batch: dict[str, tuple[LeadRow, list[str]]] = {}
        self._writer: _BatchWriter | None = None
        self.rows = self.imported = self.already_present = self.duplicates = self.invalid = 0
        self.errors: list[RowError] = []
        with unit_of_work(sessions) as session:
            self._baseline = session.scalar(select(func.max(Lead.id))) or 0

    def reject(self, line: int, reason: str, fields: list[str], *, duplicate: bool = False) -> None:
        if duplicate:
            self.duplicates += 1
        else:
            self.invalid += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(RowError(line=line, reason=reason))
        self._sink.write(line, reason, fields)

    def add(self, row: LeadRow, fields: list[str]) -> None:
        first = self._batch.get(row.email)
        if first is not None:
            reason = f"duplicate of line {first[0].line} ({row.email})"
            self.reject(row.line, reason, fields, duplicate=True)
            return
        self._batch[row.email] = (row, fields)
        if len(self._batch) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        """Insert the batch in one transaction, leaving out emails already stored."""
        if not self._batch:
            return
        batch, self._batch = self._batch, {}
        with unit_of_work(self._sessions) as session:
            conn = session.connection()
            if self._writer is None:
                self._writer = _BatchWriter(conn)
            for email, lead_id in self._writer.stored(conn, list(batch)):
                row, fields = batch.pop(email)
                if lead_id > self._baseline:
                    reason = f"duplicate of an earlier row of this file ({email})"
                    self.reject(row.line, reason, fields, duplicate=True)
                else:
                    self.already_present += 1
            if not batch:
                return
            rows = [row for row, _ in batch.values()]
            params = self._writer.params(rows)
            inserted = conn.exec_driver_sql(self._writer.sql, params).rowcount
        if inserted < 0:
            inserted = len(rows)
        self.imported += inserted
        # A concurrent import may have stored some of them first.
        self.already_present += len(rows) - inserted


def import_leads(
    sessions: SessionFactory,
    path: Path,
    *,
    errors_path: Path | None = None,
    encoding: str | None = None,
    source: str | None = None,
    delimiter: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    name: str | None = None,
    by: str | None = None,
) -> ImportResult:
    """Import the leads of a CSV file; raise `ImportFileError` if the file cannot be read.

    `errors_path` receives the rejected rows (none: not written); `source` is stored on
    leads whose row has no source (default: `csv:<file name>`); `delimiter` is the field
    separator (default: guessed from the header line); `progress` is called with
    (bytes read, total bytes) after each batch. `name` is the file's name as its owner knows
    it, when `path` is a downloaded copy (default: the path's); `by` who imported it (a Slack
    user ID), kept in the event.
    """
    shown = name or str(path)
    name = name or path.name
    try:
        detected = detect_encoding(path, encoding)
        total = path.stat().st_size
        raw = path.open("rb")
    except EncodingError as exc:
        raise ImportFileError(f"{shown}: {exc}") from exc
    except OSError as exc:
        raise ImportFileError(f"cannot read {shown}: {exc.strerror or exc}") from exc
    default_source = (source or f"csv:{name}")[:200]
    with raw, io.TextIOWrapper(raw, encoding=detected.name, newline="") as text:
        lines = _Lines(text, LINE_LIMIT)
        with _field_size_limit(FIELD_LIMIT), _cyclic_gc_paused():
            stream = iter(lines)
            head = _head(stream)
            separator = delimiter or detect_delimiter(head[-1] if head else "")
            reader = csv.reader(itertools.chain(head, stream), delimiter=separator)
            header = _read_header(reader)
            if lines.flagged:
                raise ImportFileError(f"the header row cannot be read: {lines.why}")
            try:
                columns = ColumnMap.from_header(header)
            except HeaderError as exc:
                hint = _separator_hint(header, separator)
                raise ImportFileError(f"{shown}: {exc}{hint}") from exc
            with _ErrorSink(errors_path, header) as sink:
                importer = _Importer(sessions, sink, batch_size)
                seen_flags = rows = 0
                add = importer.add
                while True:
                    line = reader.line_num + 1
                    problem: str | None = None
                    try:
                        fields = next(reader)
                    except StopIteration:
                        break
                    except csv.Error as exc:
                        fields, problem = [], f"unreadable CSV: {exc}"
                    if lines.flagged != seen_flags:
                        seen_flags = lines.flagged
                        fields = [f.replace("\x00", "") for f in fields]
                        problem = lines.why
                    elif problem is None and not any(fields):
                        continue
                    rows += 1
                    row = problem or read_row(fields, columns, line, default_source)
                    if isinstance(row, str):
                        importer.reject(line, row, fields)
                    else:
                        add(row, fields)
                    if progress is not None and rows % batch_size == 0:
                        progress(raw.tell(), total)
                importer.flush()
                importer.rows = rows
    if progress is not None:
        progress(total, total)
    result = ImportResult(
        file=shown,
        encoding=detected.name,
        encoding_note=detected.note,
        delimiter=separator,
        rows=importer.rows,
        imported=importer.imported,
        already_present=importer.already_present,
        duplicates_in_file=importer.duplicates,
        invalid=importer.invalid,
        errors_file=errors_path if sink.written else None,
        errors=importer.errors,
    )
    with unit_of_work(sessions) as session:
        counts = result.model_dump(
            include={"rows", "imported", "already_present", "duplicates_in_file", "invalid"}
        )
        events.record(session, events.LEADS_IMPORTED, {"file": name, "by": by, **counts})
    return result


def _head(lines: Iterator[str]) -> list[str]:
    """Read up to the first line that is not blank (the header), to guess the delimiter."""
    head = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    return head


def _separator_hint(header: list[str], separator: str) -> str:
    """Say which separator the header seems to use when it is not the one read with."""
    if len(header) != 1:
        return ""
    likely = detect_delimiter(header[0])
    if likely == separator or likely not in header[0]:
        return ""
    return (
        f". The file looks {DELIMITER_NAMES[likely]}-separated, not "
        f"{DELIMITER_NAMES[separator]}-separated: try --delimiter {DELIMITER_NAMES[likely]}"
    )


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                return fields
    except csv.Error as exc:
        raise ImportFileError(f"the header row cannot be read: {exc}") from exc
    raise ImportFileError("the file is empty: no header row")
