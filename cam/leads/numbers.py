"""Numbers as offices write them: `1.200` in Berlin, `1 200` in Paris, `1,200` in London."""

from __future__ import annotations

import re

# Spaces (also the no-break ones French spreadsheets use) and the Swiss apostrophe group digits.
_GROUPING = re.compile(r"[\s\u00a0\u202f']")
_DIGITS = re.compile(r"\d+")


def plain_number(text: str) -> str | None:
    """Return `text` as a plain number (`1200`, `1200.5`), or None when it is not one.

    With both `.` and `,` the last is the decimal mark (`1.200,5`, `1,200.5`). With one of
    them: repeated, it groups thousands (`1.200.000`); once, followed by exactly three digits
    after one to three others, it groups too (`1.200`, `1,200`); else it is the decimal mark
    (`1,5`, `12.75`). A range such as `51-200` is not a number: it is kept as written.
    """
    bare = _GROUPING.sub("", text.strip())
    negative = bare.startswith("-")
    bare = bare.removeprefix("-")
    marks = [c for c in bare if c in ".,"]
    if len(set(marks)) == 2:
        decimal = bare[max(bare.rfind("."), bare.rfind(","))]
        whole, _, fraction = bare.rpartition(decimal)
        whole = whole.replace("." if decimal == "," else ",", "")
    elif len(marks) > 1:
        whole, fraction = bare.replace(marks[0], ""), ""
    elif marks:
        whole, _, fraction = bare.partition(marks[0])
        if len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
            whole, fraction = whole + fraction, ""
    else:
        whole, fraction = bare, ""
    if not _DIGITS.fullmatch(whole) or (fraction and not _DIGITS.fullmatch(fraction)):
        return None
    fraction = fraction.rstrip("0")
    number = str(int(whole)) + (f".{fraction}" if fraction else "")
    return f"-{number}" if negative and number.strip("0.") else number
