"""Find the date an out-of-office reply says its writer is back.

Auto-replies name the date in many ways: "back on 3 December", "returning 12/03/2026",
"until Monday", "2026-12-03", "ab dem 3.", "dès le lundi 7", "fino al 3 dicembre", "até 3 de
dezembro", "tot 3 maart", "back tomorrow". Dates after a return word ("back", "until", ...) win;
otherwise the latest date in the near future does. A numeric date that reads both ways (12/03)
is taken as the nearer future day, since absences are short. Month and weekday names, and the
words for tomorrow and next week, come from the CLDR data Babel ships for our seven languages,
not from lists of our own. A weekday, a day of the month alone, and "tomorrow" are read only
after a return word, and resolved against the day the reply was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta

from babel import Locale

from cam.replies import languages
from cam.replies.features import fold

# How far ahead a return date may lie, and how near an unanchored date must be.
MAX_AHEAD = timedelta(days=366)
NEAR_AHEAD = timedelta(days=120)
# How far after a return word the date may start.
ANCHOR_REACH = 40


def _forms(name: str) -> set[str]:
    """A CLDR name as written, without its dot, and folded: "déc." -> déc, dec."""
    name = name.lower().replace("\u2019", "'").rstrip(".")
    return {name, fold(name)}


def _cldr_names(kind: str, *, abbreviations: bool) -> dict[str, int]:
    """Month (1-12) or weekday (0 = Monday) numbers by name, in every language and form."""
    names: dict[str, int] = {}
    for language in languages.CODES:
        table = getattr(Locale.parse(language), kind)
        for context in ("format", "stand-alone"):
            widths = ("wide", "abbreviated") if abbreviations else ("wide",)
            for width in widths:
                for number, name in table[context][width].items():
                    forms = _forms(name)
                    # "segunda-feira" is "segunda" as often as not.
                    forms |= {f.removesuffix("-feira") for f in forms}
                    # Two-letter abbreviations ("Mo", "di", "do") are everyday words.
                    names.update((form, number) for form in forms if len(form) >= 3)
    return names


def _relative() -> dict[str, timedelta | None]:
    """CLDR's "tomorrow", "the day after", and "next week" (None: Monday of next week)."""
    words: dict[str, timedelta | None] = {}
    for language in languages.CODES:
        fields = Locale.parse(language)._data["date_fields"]
        for offset in (1, 2):
            if (word := fields["day"]["relative"].get(offset)) is not None:
                words.update(dict.fromkeys(_forms(word), timedelta(days=offset)))
        words.update(dict.fromkeys(_forms(fields["week"]["relative"][1]), None))
    return words


MONTHS: Mapping[str, int] = _cldr_names("months", abbreviations=True)
# English's three-letter weekdays are common in notices ("back Mon"); other abbreviations are
# words of their own ("sex", "qui", "mar") in some language.
WEEKDAYS: Mapping[str, int] = {
    **_cldr_names("days", abbreviations=False),
    **{"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thurs": 3, "fri": 4},
}
RELATIVE: Mapping[str, timedelta | None] = _relative()

_MONTH = "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(re.escape(d) for d in sorted(WEEKDAYS, key=len, reverse=True))
_RELATIVE = "|".join(re.escape(w) for w in sorted(RELATIVE, key=len, reverse=True))
# What may follow a day number that is not a date: a time ("14 Uhr", "9am") or a month.
_NOT_A_DAY = (
    rf"(?![\d.:/-]*\d)(?!\s*(?:uhr|h|pm|am|hrs?|heures?|horas?|ore|uur|o'clock"
    rf"|(?:de\s+|of\s+)?(?:{_MONTH}))\b)"
)
_ORDINAL = r"(?:\.|st|nd|rd|th|er|e|o|º)?"
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:of\s+|de\s+)?({_MONTH})\b\.?,?"
    rf"(?:\s+(?:de\s+)?(\d{{4}}))?"
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b,?(?:\s+(\d{{4}}))?")
# After a return word only: "Monday", "lundi 7", "dem 3.", "tomorrow", "la semaine prochaine".
_WEEKDAY_ALONE = re.compile(rf"\b({_WEEKDAY})\b(?!\s*,?\s*(?:den\s+|the\s+|le\s+)?\d)")
_WEEKDAY_DAY = re.compile(
    rf"\b({_WEEKDAY})\b\s*,?\s*(?:den\s+|the\s+|le\s+)?(\d{{1,2}}){_ORDINAL}{_NOT_A_DAY}"
)
_DAY_ALONE = re.compile(
    rf"\b(?:dem|den|le|el|al|il|the|dia|op|o)\s+(\d{{1,2}}){_ORDINAL}{_NOT_A_DAY}"
)
_RELATIVE_WORD = re.compile(rf"(?<!\w)({_RELATIVE})(?!\w)")


def find_return_date(text: str, *, today: date, anchors: Sequence[str]) -> tuple[date, str] | None:
    """Return the return date `text` names, with the phrase it came from; None if it names none.

    `today` is the day the reply was written: "back on Monday" is the Monday after it.
    """
    text = fold(text[:5000])
    anchor_ends = [
        m.end() for word in anchors for m in re.finditer(rf"\b{re.escape(fold(word))}\b", text)
    ]
    anchored: list[tuple[date, str]] = []
    loose: list[tuple[date, str]] = []
    for start, when, phrase, needs_anchor in _candidates(text, today, anchored=bool(anchor_ends)):
        if not today <= when <= today + MAX_AHEAD:
            continue
        distance = min((start - end for end in anchor_ends if start >= end), default=None)
        if distance is not None and distance <= ANCHOR_REACH:
            anchored.append((when, phrase))
        elif when <= today + NEAR_AHEAD and not needs_anchor:
            loose.append((when, phrase))
    # "bis 3. Januar, ab dem 4. wieder da": the latest date after a return word is the return.
    if anchored:
        return max(anchored)
    if loose:
        return max(loose)
    return None


def _candidates(text: str, today: date, *, anchored: bool) -> Iterator[tuple[int, date, str, bool]]:
    """Yield (where, date, phrase, whether it counts only after a return word)."""
    for m in _ISO.finditer(text):
        when = _make(int(m[1]), int(m[2]), int(m[3]))
        if when:
            yield m.start(), when, m[0], False
    for m in _NUMERIC.finditer(text):
        when = _numeric(int(m[1]), m[2], int(m[3]), int(m[4]), today)
        if when:
            yield m.start(), when, m[0], False
    for m in _DAY_MONTH.finditer(text):
        when = _with_year(int(m[1]), MONTHS[m[2]], m[3], today)
        if when:
            yield m.start(), when, m[0], False
    for m in _MONTH_DAY.finditer(text):
        when = _with_year(int(m[2]), MONTHS[m[1]], m[3], today)
        if when:
            yield m.start(), when, m[0], False
    if not anchored:
        return
    for m in _WEEKDAY_ALONE.finditer(text):
        ahead = (WEEKDAYS[m[1]] - today.weekday() - 1) % 7 + 1
        yield m.start(), today + timedelta(days=ahead), m[0], True
    for m in _WEEKDAY_DAY.finditer(text):
        when = _next_day_of_month(int(m[2]), today, weekday=WEEKDAYS[m[1]])
        if when:
            yield m.start(), when, m[0], True
    for m in _DAY_ALONE.finditer(text):
        when = _next_day_of_month(int(m[1]), today)
        if when:
            yield m.start(), when, m[0], True
    for m in _RELATIVE_WORD.finditer(text):
        offset = RELATIVE[m[1]]
        when = today + offset if offset else today + timedelta(days=7 - today.weekday())
        yield m.start(), when, m[0], True


def _next_day_of_month(day: int, today: date, *, weekday: int | None = None) -> date | None:
    """The next `day` of a month from `today` on, on `weekday` if one of the next twelve is."""
    found: list[date] = []
    year, month = today.year, today.month
    for _ in range(12):
        when = _make(year, month, day)
        if when is not None and when >= today:
            if weekday is None or when.weekday() == weekday:
                return when
            found.append(when)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found[0] if found else None


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
