"""Whether a phrase the deterministic layer found is meant: negation and channel preference.

"No need to remove me", "Sie müssen mich nicht austragen", "pas besoin de me retirer": the
removal words are there, the request is not. "Don't call me, email is fine" declines a channel,
not the conversation. A phrase is set aside only when the negation governs it: the cue stands
right before it (or right after: "afmelden hoeft niet") within one clause, so "no need to reply,
just remove me" is still an opt-out. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re

from cam.replies import languages

# Negation cues that govern the phrase right after them, in our seven languages (`languages`).
_BEFORE = re.compile(
    rf"(?:{languages.alternatives(lambda pack: pack.negation.before)})(?:\s+\w+){{0,3}}?\s*$"
)
# Negation right after the phrase: "afmelden hoeft niet", "austragen ist nicht nötig".
_AFTER = re.compile(
    rf"^\W{{0,3}}(?:\w+\s+){{0,2}}?(?:{languages.alternatives(lambda pack: pack.negation.after)})\b"
)
# Where one clause ends: a cue before it does not govern what follows.
_CLAUSE_END = re.compile(
    rf"[.;:!?\n]|\b(?:{languages.alternatives(lambda pack: pack.negation.clause_break)})\b"
)
# Removal words: only a request to be removed is set aside by a negation. "You don't need to
# send me more emails" still asks for no more mail.
_REMOVAL = re.compile(languages.alternatives(lambda pack: pack.negation.removal))
# What the phrase names when it only declines a channel: calls, the phone.
_CALL_ONLY = re.compile(rf"\b(?:{languages.alternatives(lambda pack: pack.channel.call)})\b")
# A preference for written contact somewhere in the reply: "email is fine", "lieber per Mail".
_WRITTEN_IS_FINE = re.compile(
    r"\b(?:e-?mail|mail)\s+(?:is|works|me|us)\b|\b(?:by|via|over|per|through)\s+e-?mail\b"
    r"|\b(?:send|write)\s+(?:me|us)\b|\bper\s+(?:e-?)?mail\b|\blieber\s+(?:per|eine)\b"
    r"|\bschreiben\s+sie\s+(?:mir|uns)\b|\bpar\s+(?:e-?)?mail\b|\bpar\s+ecrit\b"
    r"|\becrivez-?\s*moi\b|\bpor\s+(?:correo|e-?mail|escrito)\b|\bescribeme\b|\bescribame\b"
    r"|\bliever\s+(?:per|via)\b|\bmail\s+(?:me|mij)\b|\bvia\s+(?:e-?)?mail\b"
    r"|\b(?:scrivetemi|scrivimi|mi\s+scriva)\b|\bper\s+iscritto\b|\bpor\s+e-?mail\b"
    r"|\b(?:me\s+)?(?:envie|mande)(?:-me)?\s+(?:um\s+)?(?:e-?mail|por)\b"
)

# Words before a channel that deny it too: "don't call or email me", "weder anrufen noch mailen".
_DENIED = re.compile(rf"\b(?:{languages.alternatives(lambda pack: pack.channel.denied)})\W*$")


def set_aside(text: str, start: int, end: int) -> str | None:
    """Say why the phrase at text[start:end] is not meant ("negated: ..."), or None if it is."""
    before = text[max(0, start - 80) : start]
    breaks = list(_CLAUSE_END.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    phrase = text[start:end]
    if _REMOVAL.search(phrase):
        if cue := _BEFORE.search(before):
            return f"negated: {cue.group(0).strip()} {phrase}"
        after = text[end : end + 40]
        if (stop := _CLAUSE_END.search(after)) is not None:
            after = after[: stop.start()]
        if cue := _AFTER.search(after):
            return f"negated: {phrase} {cue.group(0).strip(' ,')}"
    if _CALL_ONLY.search(phrase) and _written_welcome(text[:start] + " " + text[end:]):
        return f"channel preference: {phrase} (written contact welcome)"
    return None


def _written_welcome(text: str) -> bool:
    """Whether `text` welcomes written contact, not "or email me", "nicht mailen"."""
    for match in _WRITTEN_IS_FINE.finditer(text):
        if not _DENIED.search(text[max(0, match.start() - 16) : match.start()]):
            return True
    return False
