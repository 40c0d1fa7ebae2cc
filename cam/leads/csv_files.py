"""CSV files in and out: guessing a file's encoding, and writing cells a spreadsheet won't run."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The separators spreadsheets write: Excel uses `;` where the decimal mark is a comma.
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection), also
# after leading blanks, and some read the full-width forms (U+FF1D and kin) as the ASCII ones.
_FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A tab or carriage return first can shift a cell or a row in some spreadsheets: quoted too.
_CONTROL_STARTS = ("\t", "\r")


class EncodingError(ValueError):
    """The file cannot be read in the encoding asked for."""


@dataclass(frozen=True)
class DetectedEncoding:
    name: str
    # Set when the file was not what we hoped (UTF-8) and we fell back.
    note: str | None = None


def _first_error(path: Path, encoding: str) -> tuple[int, int] | None:
    """Decode the whole file in chunks; return (offset, byte) of the first bad byte, or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start, exc.object[exc.start]
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset + exc.start, exc.object[exc.start] if exc.object else 0
    return None


def detect_encoding(path: Path, encoding: str | None = None) -> DetectedEncoding:
    """Return the file's encoding: a BOM's, else UTF-8 if it all decodes, else cp1252, latin-1.

    Reads the file once in fixed-size chunks, so memory stays flat however large it is. An
    explicit `encoding` is checked the same way and raises `EncodingError` if it does not fit.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise EncodingError(f"unknown encoding {encoding!r}") from exc
        bad = _first_error(path, encoding)
        if bad is not None:
            raise EncodingError(
                f"the file is not valid {encoding}: byte 0x{bad[1]:02X} at offset {bad[0]}"
            )
        return DetectedEncoding(encoding)
    with path.open("rb") as file:
        head = file.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom) and _first_error(path, name) is None:
            return DetectedEncoding(name)
    bad = _first_error(path, "utf-8")
    if bad is None:
        return DetectedEncoding("utf-8")
    why = f"not valid UTF-8 (byte 0x{bad[1]:02X} at offset {bad[0]})"
    if _first_error(path, "cp1252") is None:
        return DetectedEncoding("cp1252", f"{why}; read as Windows-1252 (cp1252)")
    return DetectedEncoding("latin-1", f"{why}; read as Latin-1 (ISO-8859-1)")


def delimiter_named(value: str) -> str:
    """Return the delimiter a user named (`;`, `semicolon`, `tab`, `\\t`...) or raise ValueError."""
    wanted = value.strip().lower() or value
    for delimiter, name in DELIMITER_NAMES.items():
        if wanted in (delimiter, name, repr(delimiter).strip("'")):
            return delimiter
    choices = ", ".join(f"{name} ({d!r})" for d, name in DELIMITER_NAMES.items())
    raise ValueError(f"unknown delimiter {value!r}: use one of {choices}")


def detect_delimiter(header: str) -> str:
    """Guess the separator from the header line: the most frequent candidate outside quotes.

    A header has no numbers or free text to confuse the count, and every column is named, so
    the separator appears once per column; with none found the file has one column (comma).
    """
    bare = _QUOTED.sub("", header)
    counts = {delimiter: bare.count(delimiter) for delimiter in DELIMITER_NAMES}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def neutralise(cell: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe."""
    risky = cell.startswith(_CONTROL_STARTS) or cell.lstrip().startswith(_FORMULA_STARTS)
    return "'" + cell if risky else cell


class SafeCsvWriter:
    """A CSV writer whose every cell is neutralised against formula injection."""

    def __init__(self, file: IO[str], delimiter: str = ",") -> None:
        self._writer = csv.writer(file, delimiter=delimiter)

    def writerow(self, row: Iterable[str]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])
