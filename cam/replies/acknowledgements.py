"""Replies that decide nothing, told by their words alone: an acknowledgement, a ticket receipt.

"Thanks, received", "ok", "noted", "merci pour l'information", "danke, habe ich erhalten": a
reply made only of thanks and receipt words asks for nothing, declines nothing and asks nothing,
so a rep reads it as `other` without a second look; a model reads the thanks as warmth and calls
it interest. Every word must be one of those below (a greeting, a sign-off or a name may stand
around them) and nothing may be asked: "thanks, send me the deck" or "ok, Tuesday?" go on to the
model. A ticket system's receipt ("your request has been received, ticket #48213") is a mail
system's answer, not the person's. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re

from cam.replies import languages
from cam.replies.features import fold, load_lexicon
from cam.replies.phrases import PhraseMatch

# Words that thank or confirm receipt, and the small words around them, in our seven languages.
_THANKS_AND_RECEIPT = languages.words(lambda pack: pack.acknowledgement.words)
# Words that say it: at least one must be there ("for the info" alone is not a reply).
_SAYS_IT = languages.words(lambda pack: pack.acknowledgement.says_it)
# Greetings and sign-offs that may open or close an acknowledgement, with a name after them.
_AROUND = languages.words(lambda pack: pack.acknowledgement.around)
# Longer than this, a reply says more than thanks.
MAX_WORDS = 14
# Capitalised words taken as a name ("thanks Maya", "Gruß M. Hahn"); the first word ("Absolutely,
# thanks!") and a word the reply lexicon knows ("Tuesday", "Demo") are never one.
MAX_NAMES = 3
_WORD = re.compile(r"[^\W\d_]+|\d+")
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][a-zà-ÿ]*")

# A ticket system's receipt: a ticket, case or request number, and that it was received.
_TICKET = re.compile(
    r"\b(?:ticket\w*|case|request|reference|incident|anfrage|anliegen|vorgang\w*|demande|dossier"
    r"|incidencia|solicitud|consulta|caso|richiesta|pratica|aanvraag|melding|pedido|chamado)\b"
    r"[^.\n]{0,60}?(?:#|\bn[or]\.|\bnumber|nummer|\bnr\b\.?|\bnumero|\bid\b)\s*:?\s*#?\d{3,}"
    r"|\bticket(?:nummer|nr\.?|-nr\.?|number|#)\s*:?\s*#?\d{3,}"
)
_RECEIVED = re.compile(
    r"\b(?:has|have)\s+been\s+(?:received|logged|created|registered|opened)\b"
    r"|\bwe\s+have\s+received\b|\bconfirmation\s+that\s+we\s+have\s+received\b"
    r"|\berfasst\b|\beingegangen\b|\bhaben\s+ihr\w*\s+\w+\s+erhalten\b"
    r"|\baccusons\s+reception\b|\bbien\s+ete\s+(?:recue?|enregistree?)\b|\benregistree?\b"
    r"|\bhemos\s+recibido\b|\bse\s+ha\s+(?:abierto|registrado|creado)\b"
    r"|\bgeregistreerd\b|\bontvangen\b"
    r"|\babbiamo\s+ricevuto\b|\bregistrat[ao]\b|\bpresa\s+in\s+carico\b"
    r"|\brecebemos\b|\bregistad[oa]\b|\bregistrad[oa]\b"
)


def acknowledgement(written: str) -> PhraseMatch | None:
    """Return the words of a reply that only thanks or confirms receipt, else None."""
    if made_only_of(written, _THANKS_AND_RECEIPT, _SAYS_IT):
        return PhraseMatch("other.acknowledgement", " ".join(written.split())[:80])
    return None


def made_only_of(written: str, allowed: frozenset[str], needed: frozenset[str]) -> bool:
    """Whether a short reply, asking nothing, says one of `needed` and otherwise only words of
    `allowed`, greetings and sign-offs, and at most `MAX_NAMES` capitalised names."""
    if "?" in written:
        return False
    words = _WORD.findall(written)
    if not words or len(words) > MAX_WORDS:
        return False
    names = 0
    said = False
    for n, word in enumerate(words):
        folded = fold(word)
        if folded in allowed:
            said = said or folded in needed
        elif folded in _AROUND:
            continue
        elif (
            n > 0
            and _CAPITALISED.fullmatch(word)
            and names < MAX_NAMES
            and not load_lexicon().word_concepts(folded)
        ):
            names += 1
        else:
            return False
    return said


def ticket_receipt(written: str) -> PhraseMatch | None:
    """Return the ticket number line of a ticket system's receipt, else None."""
    text = fold(written)
    if (number := _TICKET.search(text)) and _RECEIVED.search(text):
        return PhraseMatch("other.ticket", number.group(0).strip())
    return None
