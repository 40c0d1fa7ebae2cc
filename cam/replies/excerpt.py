"""What a person wrote, for a card and the reply model: no quoted history, no signature, no mobile
footer."""

from __future__ import annotations

import re

from cam.replies import languages
from cam.replies.mail_text import strip_quoted

MAX_CHARS = 700
# Where a signature starts: the RFC 3676 delimiter, a mobile footer, or a sign-off on its own
# line, in each language's form (`languages`).
_SIGNATURE = re.compile(
    r"^(?:-- ?$"
    rf"|(?:{languages.alternatives(lambda pack: pack.signature.phone_footer)})$"
    rf"|(?:{languages.alternatives(lambda pack: pack.signature.sign_off)}),?$)",
    re.IGNORECASE,
)


def clean_excerpt(text: str, limit: int = MAX_CHARS) -> str:
    """Return the reply's own words: quoted history and the signature cut, blank runs joined."""
    lines = strip_quoted(text).splitlines()
    kept: list[str] = []
    for line in lines:
        # A sign-off on the first line is a one-word reply ("Thanks!"), not a signature.
        if kept and _SIGNATURE.match(line.strip()):
            break
        if line.strip() or (kept and kept[-1].strip()):
            kept.append(line.rstrip())
    words = "\n".join(kept).strip()
    return words if len(words) <= limit else words[: limit - 1] + "…"
