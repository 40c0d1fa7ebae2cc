"""What a person wrote, for a card: no quoted history, no signature, no mobile footer."""

from __future__ import annotations

import re

from cam.replies.parser import strip_quoted

MAX_CHARS = 700
# Where a signature starts: the RFC 3676 delimiter, a mobile footer, or a sign-off on its own
# line (the seven languages the classifier reads).
_SIGNATURE = re.compile(
    r"^(?:-- ?$"
    r"|sent from my .{0,40}$|get outlook for .{0,20}$|von meinem .{0,40}gesendet$"
    r"|envoy[ée] de mon .{0,40}$|enviado desde mi .{0,40}$"
    r"|(?:best|kind|warm|many thanks and|with best)? ?regards,?$|best,?$|cheers,?$|thanks,?$"
    r"|thank you,?$|mit freundlichen gr(?:ü|ue)(?:ß|ss)en,?$|viele gr(?:ü|ue)(?:ß|ss)e,?$"
    r"|beste gr(?:ü|ue)(?:ß|ss)e,?$|lg,?$|cordialement,?$|bien (?:à vous|cordialement),?$"
    r"|saludos(?: cordiales)?,?$|un saludo,?$|met vriendelijke groet(?:en)?,?$|groeten,?$"
    r"|cordiali saluti,?$|distinti saluti,?$|saluti,?$|atenciosamente,?$|cumprimentos,?$"
    r"|abra[çc]os,?$)",
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
