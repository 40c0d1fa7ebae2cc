"""One CSV row to one lead's column values: header mapping, field checks, email syntax."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError

from cam.core.models import Lead
from cam.leads.addresses import normalise_email
from cam.leads.headers import CUSTOM_FIELDS, FIELD_BY_KEY, LEAD_FIELDS, NUMBER_FIELDS, header_key
from cam.leads.links import BadLink, linkedin_profile
from cam.leads.numbers import plain_number

# Columns of `leads` a row fills, in the order `LeadRow.values` holds them.
ROW_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "domain",
    "timezone",
    "linkedin_url",
    "source",
    "custom_fields",
)
MAX_CUSTOM_VALUE = 10_000

_TEXT_FIELDS = ("first_name", "last_name", "company", "title", "timezone", "linkedin_url", "source")
_MAX_LENGTH: dict[str, int] = {
    name: getattr(Lead.__table__.c[name].type, "length", None) or MAX_CUSTOM_VALUE
    for name in ROW_COLUMNS
    if name != "custom_fields"
}
_SHORTEST_LIMIT = min(_MAX_LENGTH.values())
_EMAIL_MAX = _MAX_LENGTH["email"]


class HeaderError(ValueError):
    """The header row cannot be mapped to leads."""


@dataclass(frozen=True)
class ColumnMap:
    """Where each field sits in a row (-1: absent); custom fields keep their header as key."""

    width: int
    email: int
    # Positions of first_name, last_name, company, title, timezone, linkedin_url, source.
    text: tuple[int, ...]
    text_of: Callable[[list[str]], tuple[str, ...]] = field(init=False, repr=False)
    full_name: int
    custom: tuple[tuple[int, str], ...]
    # What was understood, for the summary: (header, field) where they differ.
    understood: tuple[tuple[str, str], ...] = ()
    # Headers kept as custom fields under their own name.
    kept: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_of", operator.itemgetter(*self.text))

    @classmethod
    def from_header(cls, header: list[str], mapping: Mapping[str, str] | None = None) -> ColumnMap:
        """Map each header to its field: `mapping` (header -> field) first, then the synonyms."""
        wanted = {header_key(column): target for column, target in (mapping or {}).items()}
        fields: dict[str, int] = {}
        custom: dict[str, int] = {}
        understood: list[tuple[str, str]] = []
        kept: list[str] = []
        for index, name in enumerate(header):
            if "\x00" in name:
                raise HeaderError(f"header column {index + 1} contains a NUL byte")
            key = header_key(name)
            target = wanted.pop(key, None) or FIELD_BY_KEY.get(key)
            label = name.strip().lstrip("\ufeff") or f"column_{index + 1}"
            if target is not None and target in fields:
                first = header[fields[target]].strip()
                raise HeaderError(f"columns {first!r} and {label!r} both give {target}")
            if target is not None and target in (*LEAD_FIELDS, *CUSTOM_FIELDS):
                fields[target] = index
            if target is None:
                kept.append(label)
            elif label != target:
                understood.append((label, target))
            label = target if target is not None and target not in LEAD_FIELDS else label
            if target in LEAD_FIELDS:
                continue
            if label in custom:
                raise HeaderError(f"column {label!r} appears twice")
            custom[label] = index
        if wanted:
            found = ", ".join(repr(h.strip()) for h in header[:20])
            missing = ", ".join(repr(c) for c in mapping or {} if header_key(c) in wanted)
            raise HeaderError(f"--map names {missing}, not a column of the file (found {found})")
        if "email" not in fields:
            found = ", ".join(repr(h.strip()) for h in header[:20])
            raise HeaderError(
                f"no email column (looked for Email, E-Mail-Adresse, Courriel...; found {found}): "
                'name it with --map "Column=email"'
            )
        return cls(
            width=len(header),
            email=fields["email"],
            text=tuple(fields.get(name, -1) for name in _TEXT_FIELDS),
            full_name=fields.get("full_name", -1),
            custom=tuple((i, label) for label, i in custom.items()),
            understood=tuple(understood),
            kept=tuple(kept),
        )

    @property
    def owner(self) -> int:
        """Where the owner sits (-1: absent)."""
        return next((i for i, label in self.custom if label == "owner"), -1)


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(slots=True)
class LeadRow:
    line: int
    email: str
    # Values of `ROW_COLUMNS` but the last, in order.
    values: tuple[str | None, ...]
    custom_fields: dict[str, str]


def split_name(full: str) -> tuple[str, str]:
    """Split "Anna van der Berg" into the first word and the rest: ("Anna", "van der Berg")."""
    first, _, last = full.strip().partition(" ")
    return first, last.strip()


def _too_long(values: list[str]) -> str | None:
    for name, value in zip(_TEXT_FIELDS, values, strict=True):
        if len(value) > _MAX_LENGTH[name]:
            return f"{name} is longer than {_MAX_LENGTH[name]} characters"
    return None


def read_row(fields: list[str], columns: ColumnMap, line: int, source: str) -> LeadRow | str:
    """Return the lead a row describes, or the reason it cannot be imported."""
    if len(fields) != columns.width:
        return f"expected {columns.width} columns, found {len(fields)}"
    raw_email = fields[columns.email].strip()
    if not raw_email:
        return "email is empty"
    if len(raw_email) > _EMAIL_MAX:
        return f"email is longer than {_EMAIL_MAX} characters"
    try:
        email = normalise_email(raw_email)
    except EmailNotValidError as exc:
        return f"invalid email {raw_email!r}: {exc}"
    # An absent field sits at -1: the empty string appended for the moment.
    fields.append("")
    values = list(map(str.strip, columns.text_of(fields)))
    fields.pop()
    first, last, company, title, zone, linkedin, row_source = values
    if columns.full_name >= 0 and not first and not last:
        first, last = split_name(fields[columns.full_name])
        values[0], values[1] = first, last
    if zone and not _known_zone(zone):
        return f"unknown time zone {zone!r}"
    if linkedin:
        try:
            linkedin = values[5] = linkedin_profile(linkedin)
        except BadLink as exc:
            return str(exc)
    # One C-speed pass in the usual case; the precise check only when something is long.
    if max(map(len, fields)) > _SHORTEST_LIMIT and (reason := _too_long(values)):
        return reason
    custom: dict[str, str] = {}
    for index, label in columns.custom:
        value = fields[index].strip()
        if value:
            if len(value) > MAX_CUSTOM_VALUE:
                return f"column {label!r} is longer than {MAX_CUSTOM_VALUE} characters"
            if label in NUMBER_FIELDS:
                value = plain_number(value) or value
            custom[label] = value
    domain = email.rpartition("@")[2]
    row = (email, first, last, company, title, domain, zone or None, linkedin or None)
    return LeadRow(line, email, (*row, row_source or source), custom)
