"""Find the date an out-of-office reply says its writer is back.

Auto-replies name the date in many ways: "back on 3 December", "returning 12/03/2026",
"until Monday", "2026-12-03". Dates after a return word ("back", "until", ...) win; otherwise
the latest date in the near future does. A numeric date that reads both ways (12/03) is taken
as the nearer future day, since absences are short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

# How far ahead a return date may lie, and how near an unanchored date must be.
MAX_AHEAD = timedelta(days=366)
NEAR_AHEAD = timedelta(days=120)
# How far after a return word the date may start.
ANCHOR_REACH = 40

MONTHS = {
    **dict.fromkeys(("january", "jan", "januar", "janvier", "enero"), 1),
    **dict.fromkeys(("february", "feb", "februar", "février", "fevrier", "febrero"), 2),
    **dict.fromkeys(("march", "mar", "märz", "maerz", "mars", "marzo"), 3),
    **dict.fromkeys(("april", "apr", "avril", "abril"), 4),
    **dict.fromkeys(("may", "mai", "mayo"), 5),
    **dict.fromkeys(("june", "jun", "juni", "juin", "junio"), 6),
    **dict.fromkeys(("july", "jul", "juli", "juillet", "julio"), 7),
    **dict.fromkeys(("august", "aug", "août", "aout", "agosto"), 8),
    **dict.fromkeys(("september", "sep", "sept", "septembre", "septiembre"), 9),
    **dict.fromkeys(("october", "oct", "oktober", "octobre", "octubre"), 10),
    **dict.fromkeys(("november", "nov", "novembre", "noviembre"), 11),
    **dict.fromkeys(("december", "dec", "dezember", "décembre", "decembre", "diciembre"), 12),
}
WEEKDAYS = {
    **dict.fromkeys(("monday", "mon", "montag", "lundi", "lunes"), 0),
    **dict.fromkeys(("tuesday", "tue", "tues", "dienstag", "mardi", "martes"), 1),
    **dict.fromkeys(("wednesday", "wed", "mittwoch", "mercredi", "miércoles"), 2),
    **dict.fromkeys(("thursday", "thu", "thurs", "donnerstag", "jeudi", "jueves"), 3),
    **dict.fromkeys(("friday", "fri", "freitag", "vendredi", "viernes"), 4),
}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?({_MONTH})\b\.?,?(?:\s+(\d{{4}}))?",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b,?(?:\s+(\d{{4}}))?", re.IGNORECASE
)
_WEEKDAY_ALONE = re.compile(rf"\b({_WEEKDAY})\b", re.IGNORECASE)


def find_return_date(text: str, *, today: date, anchors: Sequence[str]) -> tuple[date, str] | None:
    """Return the return date `text` names, with the phrase it came from; None if it names none."""
    text = text[:5000]
    anchor_ends = [
        m.end()
        for word in anchors
        for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)
    ]
    anchored: list[tuple[int, date, str]] = []
    loose: list[tuple[date, str]] = []
    for start, when, phrase in _candidates(text, today, anchored=bool(anchor_ends)):
        if not today <= when <= today + MAX_AHEAD:
            continue
        distance = min((start - end for end in anchor_ends if start >= end), default=None)
        if distance is not None and distance <= ANCHOR_REACH:
            anchored.append((start, when, phrase))
        elif when <= today + NEAR_AHEAD and not _is_weekday_phrase(phrase):
            loose.append((when, phrase))
    if anchored:
        _start, when, phrase = min(anchored)
        return when, phrase
    if loose:
        return max(loose)
    return None


def _is_weekday_phrase(phrase: str) -> bool:
    return phrase.lower() in WEEKDAYS


def _candidates(text: str, today: date, *, anchored: bool) -> Iterator[tuple[int, date, str]]:
    for m in _ISO.finditer(text):
        when = _make(int(m[1]), int(m[2]), int(m[3]))
        if when:
            yield m.start(), when, m[0]
    for m in _NUMERIC.finditer(text):
        when = _numeric(int(m[1]), m[2], int(m[3]), int(m[4]), today)
        if when:
            yield m.start(), when, m[0]
    for m in _DAY_MONTH.finditer(text):
        when = _with_year(int(m[1]), MONTHS[m[2].lower()], m[3], today)
        if when:
            yield m.start(), when, m[0]
    for m in _MONTH_DAY.finditer(text):
        when = _with_year(int(m[2]), MONTHS[m[1].lower()], m[3], today)
        if when:
            yield m.start(), when, m[0]
    if anchored:
        for m in _WEEKDAY_ALONE.finditer(text):
            ahead = (WEEKDAYS[m[1].lower()] - today.weekday() - 1) % 7 + 1
            yield m.start(), today + timedelta(days=ahead), m[0]


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric(first: int, sep: str, second: int, year: int, today: date) -> date | None:
    """Read 03.12.2026 as day-first, and 12/03/2026 whichever way gives the nearer future day."""
    if year < 100:
        year += 2000
    day_first = _make(year, second, first)
    month_first = _make(year, first, second)
    if sep == ".":
        return day_first
    options = [d for d in (day_first, month_first) if d is not None]
    future = [d for d in options if d >= today]
    if future:
        return min(future)
    return options[0] if options else None


def _with_year(day: int, month: int, year: str | None, today: date) -> date | None:
    if year:
        return _make(int(year), month, day)
    when = _make(today.year, month, day)
    if when is not None and when < today:
        when = _make(today.year + 1, month, day)
    return when
