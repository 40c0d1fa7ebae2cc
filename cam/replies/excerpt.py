"""What a person wrote, for a card and the reply model: no quoted history, no signature, no mobile
footer."""

from __future__ import annotations

import re

from cam.replies.mail_text import strip_quoted

MAX_CHARS = 700
# Where a signature starts: the RFC 3676 delimiter, a mobile footer, or a sign-off on its own
# line (the seven languages the classifier reads).
_SIGNATURE = re.compile(
    r"^(?:-- ?$"
    r"|sent from .{0,40}$|get outlook for .{0,20}$|von meinem .{0,40}gesendet$"
    r"|gesendet von .{0,40}$|envoy[ée] de(?:puis)? (?:mon )?.{0,40}$|enviado desde .{0,40}$"
    r"|verzonden (?:vanaf|met) .{0,40}$|inviato da .{0,40}$|enviado do .{0,40}$"
    r"|(?:best|kind|warm|many thanks and|with best|thanks and)? ?regards,?$|best,?$|cheers,?$"
    r"|thanks,?$|thank you,?$|many thanks,?$|sincerely,?$|yours(?: truly| sincerely)?,?$"
    r"|all the best,?$|mit freundlichen gr(?:ü|ue)(?:ß|ss)en,?$|mfg,?$"
    r"|(?:viele|beste|liebe|herzliche|freundliche)? ?gr(?:ü|ue)(?:ß|ss)e?,?$|lg,?$|danke,?$"
    r"|cordialement,?$|bien (?:à vous|cordialement),?$|salutations,?$|amicalement,?$|merci,?$"
    r"|saludos(?: cordiales)?,?$|un saludo,?$|atentamente,?$|un abrazo,?$|gracias,?$"
    r"|met vriendelijke groet(?:en)?,?$|(?:vriendelijke )?groet(?:en|jes)?,?$|mvg,?$|gr,?$"
    r"|bedankt,?$|cordiali saluti,?$|distinti saluti,?$|saluti,?$|a presto,?$|grazie,?$"
    r"|atenciosamente,?$|cumprimentos,?$|abra[çc]os?,?$|abs,?$|att,?$|obrigad[oa],?$)",
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
