"""One CSV row to one lead's column values: header aliases, field checks, email syntax."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError

from cam.core.models import Lead
from cam.leads.addresses import normalise_email
from cam.leads.links import BadLink, linkedin_profile

# Field -> the headers people give it, compared without case, spaces, `_` or `-`.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "work email"),
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "full_name": ("name", "full name", "contact name"),
    "company": ("company", "company name", "organization", "organisation", "account"),
    "title": ("title", "job title", "position", "role"),
    "timezone": ("timezone", "time zone", "tz"),
    "linkedin_url": ("linkedin", "linkedin url", "linkedin profile"),
    "source": ("source", "lead source"),
}
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

_SEPARATORS = re.compile(r"[\s_\-]+")


def header_key(header: str) -> str:
    return _SEPARATORS.sub("", header.strip().lstrip("\ufeff").lower())


_FIELD_BY_KEY = {header_key(a): f for f, aliases in FIELD_ALIASES.items() for a in (f, *aliases)}
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_of", operator.itemgetter(*self.text))

    @classmethod
    def from_header(cls, header: list[str]) -> ColumnMap:
        fields: dict[str, int] = {}
        custom: dict[str, int] = {}
        for index, name in enumerate(header):
            if "\x00" in name:
                raise HeaderError(f"header column {index + 1} contains a NUL byte")
            target = _FIELD_BY_KEY.get(header_key(name))
            label = name.strip().lstrip("\ufeff") or f"column_{index + 1}"
            if target is not None:
                if target in fields:
                    first = header[fields[target]].strip()
                    raise HeaderError(f"columns {first!r} and {label!r} both give {target}")
                fields[target] = index
            elif label in custom:
                raise HeaderError(f"column {label!r} appears twice")
            else:
                custom[label] = index
        if "email" not in fields:
            found = ", ".join(repr(h.strip()) for h in header[:20])
            raise HeaderError(f"no email column (looked for Email, E-mail...; found {found})")
        return cls(
            width=len(header),
            email=fields["email"],
            text=tuple(fields.get(name, -1) for name in _TEXT_FIELDS),
            full_name=fields.get("full_name", -1),
            custom=tuple((i, label) for label, i in custom.items()),
        )


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
        first, _, last = fields[columns.full_name].strip().partition(" ")
        last = last.strip()
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
            custom[label] = value
    domain = email.rpartition("@")[2]
    row = (email, first, last, company, title, domain, zone or None, linkedin or None)
    return LeadRow(line, email, (*row, row_source or source), custom)
