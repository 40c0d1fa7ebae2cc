"""Whether a phrase the deterministic layer found is meant: negation and channel preference.

"No need to remove me", "Sie müssen mich nicht austragen", "pas besoin de me retirer": the
removal words are there, the request is not. "Don't call me, email is fine" declines a channel,
not the conversation. A phrase is set aside only when the negation governs it: the cue stands
right before it (or right after: "afmelden hoeft niet") within one clause, so "no need to reply,
just remove me" is still an opt-out. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re

# Negation cues that govern the phrase right after them, in our seven languages.
_BEFORE = re.compile(
    r"(?:"
    # English
    r"\bno\s+need\s+(?:for\s+you\s+|at\s+all\s+)?to|\bno\s+reason\s+(?:for\s+you\s+)?to"
    r"|\b(?:you|u)\s+(?:don'?t|do\s+not|dont|needn'?t|need\s+not)\s+(?:have\s+to|need\s+to)?"
    r"|\b(?:don'?t|do\s+not|dont)\s+(?:have|need)\s+to|\bnot\s+(?:asking|saying)\s+(?:you\s+)?to"
    r"|\bthere'?s\s+no\s+need\s+to"
    # German
    r"|\bkein(?:en)?\s+(?:grund|anlass|bedarf)\b(?:\s+\w+){0,3}?\s*,?"
    r"|\b(?:mussen|brauchen|musst|brauchst|sollen)\s+(?:sie\s+|du\s+|ihr\s+)?(?:mich|uns)?\s*"
    r"(?:auch\s+|deshalb\s+|deswegen\s+|jetzt\s+)?(?:noch\s+)?nicht\b"
    r"|\bnicht\s+(?:notig|notwendig|erforderlich)\b"
    # French
    r"|\bpas\s+(?:besoin|la\s+peine|necessaire)\s+de|\binutile\s+de"
    r"|\b(?:vous\s+)?n'?\s*(?:avez|aurez)\s+pas\s+(?:besoin\s+de|a)"
    # Spanish
    r"|\bno\s+(?:hace\s+falta|es\s+necesario|hay\s+(?:necesidad|por\s+que)\s+de|hay\s+que"
    r"|tienen\s+que|tiene\s+que|tienes\s+que|necesitan|necesita)"
    # Italian
    r"|\bnon\s+(?:serve|c'?\s*e\s+bisogno\s+di|e\s+necessario|dovete|deve|occorre|importa)"
    # Portuguese
    r"|\bnao\s+(?:precisa(?:m)?(?:\s+de)?|e\s+(?:necessario|preciso)|ha\s+necessidade\s+de"
    r"|tem\s+(?:de|que)|tens\s+(?:de|que))"
    # Dutch
    r"|\bhoef(?:t|en)?\s+(?:je|u|jullie)?\s*(?:me|mij|ons)?\s*niet\b|\bgeen\s+reden\s+om"
    r"|\bniet\s+nodig\s+om|\bhoeft\s+niet"
    r")(?:\s+\w+){0,3}?\s*$"
)
# Negation right after the phrase: "afmelden hoeft niet", "austragen ist nicht nötig".
_AFTER = re.compile(
    r"^\W{0,3}(?:\w+\s+){0,2}?(?:"
    r"(?:is\s+)?(?:not|isn'?t)\s+(?:necessary|needed)|hoeft\s+niet|is\s+niet\s+nodig"
    r"|(?:ist\s+)?nicht\s+(?:notig|notwendig|erforderlich)|n'?\s*est\s+pas\s+necessaire"
    r"|no\s+(?:es\s+necesario|hace\s+falta)|non\s+(?:e\s+necessario|serve)"
    r"|nao\s+(?:e\s+necessario|precisa))\b"
)
# Where one clause ends: a cue before it does not govern what follows.
_CLAUSE_END = re.compile(r"[.;:!?\n]|\b(?:but|just|aber|sondern|mais|pero|sino|ma|mas|maar)\b")
# Removal words: only a request to be removed is set aside by a negation. "You don't need to
# send me more emails" still asks for no more mail.
_REMOVAL = re.compile(
    r"unsubscrib|opt|remov|take|delete|eras|austrag|abmeld|entfern|losch|verteiler|liste"
    r"|retir|desinscri|desabonn|supprim|rayer|baja|elimin|quit|borr|sac|cancell|rimuov|togli"
    r"|disiscri|descadastr|remova|remover|tir|apag|exclu|afmeld|uitschrijv|verwijder|haal"
)
# What the phrase names when it only declines a channel: calls, the phone.
_CALL_ONLY = re.compile(
    r"\b(?:call|calls|calling|phone|ring|anruf\w*|telefon\w*|appel\w*|llam\w*|bel|bellen"
    r"|chiam\w*|telefonem\w*|ligar|liguem|ligue)\b"
)
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
_DENIED = re.compile(
    r"\b(?:or|nor|not|don'?t|never|no|nicht|kein\w*|noch|oder|ni|ne|pas|ou|o|tampoco|nunca"
    r"|non|ne|nem|nao|of|geen|niet)\W*$"
)


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
