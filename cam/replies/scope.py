"""Whether a phrase the deterministic layer found is meant: negation, channel preference, a
question about the product, a mailing footer.

"No need to remove me", "Sie müssen mich nicht austragen", "pas besoin de me retirer": the
removal words are there, the request is not. "Don't call me, email is fine" declines a channel,
not the conversation. A phrase is set aside only when the negation governs it: the cue stands
right before it (or right after: "afmelden hoeft niet") within one clause, so "no need to reply,
just remove me" is still an opt-out. "How does the unsubscribe work on your side?" and "does
your platform handle erasure requests (Art. 17)?" ask about what we sell: a question holding
the phrase, in a reply that asks about our product, with no "me" or "I" in it ("can your system
remove me?" stays an opt-out). "To unsubscribe from our client alerts, visit ..." is the
prospect's own firm's footer. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re

from cam.replies import languages
from cam.replies.alternation import compile_phrases

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


# A question asked of our product or our side: "your platform", "bei Ihnen", "chez vous".
_OUR_PRODUCT = compile_phrases(
    r"\byour\s+(?:tool|platform|system|software|solution|product|app|service|side|end)s?\b"
    r"|\b(?:does|can|will)\s+it\b",
    r"\bbei\s+(?:ihnen|euch)\b|\b(?:ihr|ihre|ihrem|ihrer|euer|eure)\s+(?:tool|system|software"
    r"|plattform|losung|produkt|dienst|app)\b",
    r"\bchez\s+vous\b|\b(?:votre|vos)\s+(?:outil|plate-?forme|solution|logiciel|systeme|produit"
    r"|service|application)s?\b",
    r"\b(?:su|sus|vuestr[ao]s?|tu)\s+(?:herramienta|plataforma|solucion|software|sistema"
    r"|producto|servicio|aplicacion)\b",
    r"\b(?:vostr[ao]|vostri|vostre|sua|suo|tua|tuo)\s+(?:piattaforma|strumento|soluzione|software"
    r"|sistema|prodotto|servizio|app)\b",
    r"\b(?:jullie|uw|je)\s+(?:tool|platform|systeem|software|oplossing|product|dienst|app)\b",
    r"\b(?:vossa|vosso|sua|seu|tua|teu)\s+(?:ferramenta|plataforma|solucao|software|sistema"
    r"|produto|servico|aplicacao)\b",
)
# The writer in the first person singular: then the phrase may be about them after all.
_ME = re.compile(
    r"\b(?:me|my|myself|i|mich|mir|mein\w*|ich|moi|mon|ma|mes|je|j|mi|mis|yo|mio|mia|miei|mie"
    r"|io|mij|mijn|ik|mim|meu|meus|minha|minhas|eu)\b"
)
# A mailing's footer: "to unsubscribe from ..., visit / click", with a link or where to go.
_INSTRUCTION_BEFORE = re.compile(
    r"(?:\bto|\bum|\bpour|\bpara|\bper|\bom|\bif\s+you\s+(?:no\s+longer\s+)?wish\s+to)"
    r"(?:\s+\w+){0,2}\s*$"
)
_INSTRUCTION_WHERE = re.compile(
    r"https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|de|fr|es|it|nl|pt|eu|io|co)\b"
    r"|\b(?:visit|click|link|preferences|besuchen|klicken|cliquez|visitez|lien|haga\s+clic|visite"
    r"|enlace|clicca|visita|klik|bezoek|clique|acesse)\b"
)
# A full stop before a number ("Art. 17", "Nr. 5") ends no sentence.
_SENTENCE_END = re.compile(r"[!?\n]|\.(?!\s*\d)")


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
    sentence, closing = _sentence(text, start, end)
    if closing == "?" and not _ME.search(sentence) and _asks_of_our_product(text):
        return f"asked of our product: {phrase}"
    if _INSTRUCTION_BEFORE.search(before) and _INSTRUCTION_WHERE.search(text[end : end + 120]):
        return f"a mailing's footer: {phrase}"
    return None


def _sentence(text: str, start: int, end: int) -> tuple[str, str]:
    """Return the sentence around text[start:end] and the mark that closes it."""
    opened = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    closing = _SENTENCE_END.search(text, end)
    closed = closing.start() if closing else len(text)
    return text[opened:closed], closing.group(0) if closing else ""


def _asks_of_our_product(text: str) -> bool:
    """Whether a question of the reply names our product or our side."""
    for match in _OUR_PRODUCT.finditer(text):
        closing = _SENTENCE_END.search(text, match.end())
        if closing is not None and closing.group(0) == "?":
            return True
    return False


def _written_welcome(text: str) -> bool:
    """Whether `text` welcomes written contact, not "or email me", "nicht mailen"."""
    for match in _WRITTEN_IS_FINE.finditer(text):
        if not _DENIED.search(text[max(0, match.start() - 16) : match.start()]):
            return True
    return False
