"""`cam leads import`: stream a CSV of leads into the database, in batches, flat in memory.

Rows are read one at a time, checked, deduplicated (case-insensitively, within the file and
against the database) and inserted a batch at a time, each batch in its own transaction with
`INSERT ... ON CONFLICT (email) DO NOTHING`. Rows that cannot be imported are reported with
their line number and written, formula-safe, to an errors CSV.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from pydantic import BaseModel
from sqlalchemy import func, select

from cam.core import bulk, events
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Lead
from cam.leads.batch_insert import BatchWriter
from cam.leads.csv_files import (
    DELIMITER_NAMES,
    DetectedEncoding,
    EncodingError,
    SafeCsvWriter,
    detect_delimiter,
    detect_encoding,
)
from cam.leads.csv_stream import Lines, cyclic_gc_paused, field_size_limit, head_lines
from cam.leads.event_payloads import LeadsImported
from cam.leads.owners import OwnerCheck, OwnerFallback
from cam.leads.rows import (
    MAX_CUSTOM_VALUE,
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
# An import adding this many leads refreshes the table's planner statistics (see bulk.analyze).
ANALYZE_AFTER = 1_000

ProgressCallback = Callable[[int, int], None]


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
    # Headers read as a field of another name ("Vorname" -> "first_name"), in file order.
    understood: list[tuple[str, str]] = []
    # Headers no field claimed: kept as custom fields under their own name.
    kept_as_custom: list[str] = []
    # Rows whose owner is no mailbox, imported to be spread (`--owner-fallback spread`).
    unknown_owners: int = 0
    unknown_owner_names: list[str] = []

    @property
    def rejected(self) -> int:
        return self.duplicates_in_file + self.invalid

    def notes(self) -> list[str]:
        """How the columns were read and what became of unknown owners, in plain lines."""
        notes = []
        if self.understood:
            read = ", ".join(f"{header} -> {field}" for header, field in self.understood)
            notes.append(f"Columns read as: {read}")
        if self.kept_as_custom:
            notes.append(f"Kept as custom fields: {', '.join(self.kept_as_custom)}")
        if self.unknown_owners:
            names = ", ".join(self.unknown_owner_names)
            notes.append(
                f"{self.unknown_owners} rows name an owner with no mailbox ({names}): "
                "spread across the mailboxes"
            )
        return notes


class _ErrorSink:
    """The errors CSV, created on the first rejected row only.

    Written as the file came (its separator and encoding), so the spreadsheet that made the
    file opens the errors in columns; UTF-8 gets a BOM, which Excel needs to read it as such.
    """

    def __init__(self, path: Path | None, header: list[str], delimiter: str, encoding: str) -> None:
        self.path = path
        self._header = header
        self._delimiter = delimiter
        self._encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        self._file: IO[str] | None = None
        self._writer: SafeCsvWriter | None = None

    def write(self, line: int, reason: str, fields: list[str]) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._file = self.path.open("w", encoding=self._encoding, errors="replace", newline="")
            self._writer = SafeCsvWriter(self._file, self._delimiter)
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


class _Records(Protocol):
    """A csv reader: records, and the line the last one ended on."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


class _Importer:
    """Counts, rejects and batches rows; plain attributes, as they change on every row."""

    def __init__(self, sessions: SessionFactory, sink: _ErrorSink, batch_size: int) -> None:
        self._sessions = sessions
        self._sink = sink
        self.batch_size = batch_size
        self._batch: dict[str, tuple[LeadRow, list[str]]] = {}
        self._writer: BatchWriter | None = None
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
        if len(self._batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Insert the batch in one transaction, leaving out emails already stored."""
        if not self._batch:
            return
        batch, self._batch = self._batch, {}
        with unit_of_work(self._sessions) as session:
            conn = session.connection()
            if self._writer is None:
                self._writer = BatchWriter(conn)
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
    mapping: Mapping[str, str] | None = None,
    owners: Mapping[str, str] | None = None,
    owner_fallback: OwnerFallback = OwnerFallback.error,
) -> ImportResult:
    """Import the leads of a CSV file; raise `ImportFileError` if the file cannot be read.

    `errors_path` receives the rejected rows (none: not written); `source` is stored on
    leads whose row has no source (default: `csv:<file name>`); `delimiter` is the field
    separator (default: guessed from the header line); `progress` is called with
    (bytes read, total bytes) after each batch. `name` is the file's name as its owner knows
    it, when `path` is a downloaded copy (default: the path's); `by` who imported it (a Slack
    user ID), kept in the event. `mapping` names fields for headers (`{"Spalte": "company"}`)
    beyond the synonyms every office uses; `owners` (each accepted owner value, lower case, to
    its mailbox key; None: no mailboxes file) checks the owner column, `owner_fallback` says
    what an unknown owner becomes.
    """
    shown = name or str(path)
    name = name or path.name
    detected, total, raw = _open(path, encoding, shown)
    default_source = (source or f"csv:{name}")[:200]
    with raw, io.TextIOWrapper(raw, encoding=detected.name, newline="") as text:
        lines = Lines(text, LINE_LIMIT)
        with field_size_limit(FIELD_LIMIT), cyclic_gc_paused():
            stream = iter(lines)
            head = head_lines(stream)
            separator = delimiter or detect_delimiter(head[-1] if head else "")
            reader = csv.reader(itertools.chain(head, stream), delimiter=separator)
            header, columns = _columns(reader, lines, separator, shown, mapping)
            check = None
            if owners is not None and columns.owner >= 0:
                check = OwnerCheck(owners, owner_fallback)
            with _ErrorSink(errors_path, header, separator, detected.name) as sink:
                importer = _Importer(sessions, sink, batch_size)
                on_batch = None if progress is None else lambda: progress(raw.tell(), total)
                _feed(reader, lines, columns, default_source, importer, on_batch, check)
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
        understood=list(columns.understood),
        kept_as_custom=list(columns.kept),
        unknown_owners=check.unknown if check else 0,
        unknown_owner_names=check.names if check else [],
    )
    with unit_of_work(sessions) as session:
        done = LeadsImported(
            file=name,
            by=by,
            rows=result.rows,
            imported=result.imported,
            already_present=result.already_present,
            duplicates_in_file=result.duplicates_in_file,
            invalid=result.invalid,
        )
        events.record(session, done)
        if importer.imported >= ANALYZE_AFTER:
            bulk.analyze(session, Lead)
    return result


def _open(path: Path, encoding: str | None, shown: str) -> tuple[DetectedEncoding, int, IO[bytes]]:
    """Detect the file's encoding and open it: (encoding, size in bytes, binary stream)."""
    try:
        detected = detect_encoding(path, encoding)
        return detected, path.stat().st_size, path.open("rb")
    except EncodingError as exc:
        raise ImportFileError(f"{shown}: {exc}") from exc
    except OSError as exc:
        raise ImportFileError(f"cannot read {shown}: {exc.strerror or exc}") from exc


def _feed(
    reader: _Records,
    lines: Lines,
    columns: ColumnMap,
    default_source: str,
    importer: _Importer,
    on_batch: Callable[[], None] | None,
    check: OwnerCheck | None = None,
) -> None:
    """Check each record after the header and hand it to `importer`; flush the last batch.

    One tight loop with local names: it runs once per row of files of millions of rows.
    """
    seen_flags = rows = 0
    add, batch_size = importer.add, importer.batch_size
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
        if check is not None and not isinstance(row, str):
            row = check.problem(row) or row
        if isinstance(row, str):
            importer.reject(line, row, fields)
        else:
            add(row, fields)
        if on_batch is not None and rows % batch_size == 0:
            on_batch()
    importer.flush()
    importer.rows = rows


def _columns(
    reader: Iterator[list[str]],
    lines: Lines,
    separator: str,
    shown: str,
    mapping: Mapping[str, str] | None,
) -> tuple[list[str], ColumnMap]:
    """Read the header row and map its columns; `ImportFileError` says why it cannot be."""
    header = _read_header(reader)
    if lines.flagged:
        raise ImportFileError(f"the header row cannot be read: {lines.why}")
    try:
        return header, ColumnMap.from_header(header, mapping)
    except HeaderError as exc:
        hint = _separator_hint(header, separator)
        raise ImportFileError(f"{shown}: {exc}{hint}") from exc


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
