"""Requests about the person's own data: where we got it, what we hold, access and erasure.

A question about where we got an address, what we hold, or a request to erase it (GDPR Art. 14,
15 and 17, LGPD Art. 18, and the same rights named in any of our seven languages) must be
answered within a month, so it is flagged wherever it appears, whatever class the reply gets.
Found either by a phrase that says it all ("Art. 15", "how did you find me", "delete all my
data") or, within one sentence, by a question about where something came from together with the
person's own data ("where did you get" + "this email address"). "Where does your data come
from?" about the product, or "remove me from your list", are not requests about the person's
data. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from cam.replies import phrases
from cam.replies.alternation import compile_phrases
from cam.replies.features import fold
from cam.replies.phrases import PER_REPLY, PhraseMatch

# Phrases that say it all: an article, a right, "how did you find me", "where it came from".
_SAYS_IT = compile_phrases(
    r"\bart(?:\.|icles?|ikel|iculos?|icoli|icolo|igos?)?\s*1[45]\b",
    r"\blgpd\b.{0,40}\bart(?:\.|igo)?\s*18\b|\bart(?:\.|igo)?\s*18\b.{0,40}\blgpd\b",
    # A supplier's "Lieferanten-Selbstauskunft" is a form about a company, not a person's request.
    r"\bsubject\s+access\s+request\b|(?<![\w-])selbstauskunft\b|\binzageverzoek\b",
    r"\bright\s+of\s+access\b|\bauskunftsrecht\b|\bauskunftsersuchen\b|\bdroit\s+d'?\s*acces\b"
    r"|\bderecho\s+de\s+acceso\b|\brecht\s+op\s+inzage\b|\bdiritto\s+di\s+accesso\b"
    r"|\bdireito\s+de\s+acesso\b",
    r"\bwho\s+(?:gave|sold|passed|provided)\s+(?:you|u)\s+(?:my|our|this)\b",
    r"\bwhich\s+(?:list|database|data\s*base|source|provider)\s+(?:did|do|am|are|have|is|was)\b",
    r"\bhow\s+(?:did|do|have)\s+(?:you|u)\s+(?:find|found|get|got|obtain\w*|come\s+across)"
    r"\s+(?:me|us|hold\s+of\s+(?:me|us))\b",
    r"\b(?:source|origin)\s+(?:of|from\s+which)\s+(?:my|our|this|the|these|which)\s+(?:personal\s+)?"
    r"(?:data|information|details|contact|address|e-?mail)"
    r"|\bwhere\s+(?:you\s+)?(?:sourced|obtained|got)\s+(?:it|them|my|this)\b"
    r"|\bwhere\s+(?:it|they|my\s+\w+)\s+came\s+from\b",
    r"\bauskunft\s+(?:nach|gemass|uber\s+(?:die\s+)?(?:meine|gespeicherten|verarbeiteten))",
    r"\bwie\s+(?:sind|seid|bist)\s+(?:sie|ihr|du)\s+(?:an|auf)\s+(?:meine|mich|meinen|unsere)\b",
    r"\baus\s+welcher\s+quelle\b",
    r"\b(?:source|origine|provenance)\s+de\s+(?:ces|mes|nos)\s+(?:donnees|coordonnees)",
    r"\b(?:herkunft|quelle)\s+(?:meiner|unserer)\s+(?:daten|adresse|kontakt)",
    r"\b(?:origen|procedencia|fuente)\s+de\s+(?:mis|nuestros|los|estos)\s+datos\b"
    r"|\bacceso\s+a\s+(?:los|mis)\s+datos\s+personales\b",
    r"\boverzicht\s+van\s+(?:de\s+)?persoonsgegevens\b",
    r"\b(?:bron|herkomst)\s+van\s+(?:mijn|onze|deze)\s+(?:\w+\s+)?gegevens\b"
    r"|\bhoe\s+(?:u|jullie|je)\s+aan\s+(?:mijn|ons|onze)\b",
    r"\b(?:origine|provenienza|fonte)\s+dei\s+(?:miei|nostri)\s+dati\b",
    r"\b(?:origem|fonte|procedencia)\s+dos\s+(?:meus\s+|nossos\s+)?dados\b"
    r"|\bde\s+onde\s+(?:vieram|veio|vem|vem)\b",
)
# Where from, who gave, how come: in our seven languages.
_FROM_WHERE = compile_phrases(
    r"\b(?:where|whence|woher|von\s+wem|d'?\s*ou|de\s+donde|donde|van\s+wie|da\s+dove|dove"
    r"|de\s+onde|onde)\b",
    r"\bwho\s+(?:gave|sold|passed|provided)\b|\bquien\s+(?:les|le|te|os)\b|\bwer\s+hat\s+ihnen\b"
    r"|\bqui\s+vous\s+a\b",
    r"\bwie\s+heeft\b|\bchi\s+(?:vi|le|ti)\b|\bquem\s+(?:vos|lhes|te|lhe)\b|\bwer\s+hat\b",
    r"\b(?:how|why)\s+(?:did|do|have)\s+(?:you|u)\b|\bwhich\s+(?:list|database|source|file)\b",
    r"\bwie\s+kommen\s+sie\b|\bwo\s+haben\s+sie\b|\bwaar\s+(?:heeft|hebben|heb)\b",
    r"\b(?:comment|ou)\s+avez-?\s*vous\b|\bhoe\s+(?:komen|komt|kwamen|kwam|bent|heeft|hebben)\b"
    r"|\bcome\s+(?:avete|ha|hai)\b",
    r"\bcomo\s+(?:e\s+que\s+)?(?:obtuvieron|consiguieron|han\s+obtenido|han\s+conseguido|tienen|obtiveram"
    r"|conseguiram|arranjaram|teem|tem|habeis|obtuvisteis|conseguisteis)\b",
)
# The person's own data: "my email", "meine Adresse", "mes coordonnées", "i miei dati", ... and
# "this address", which a person says of their own.
_MY_DATA = compile_phrases(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:e-?mail|address|contact|details|data|name|number|info\w*)",
    r"\b(?:this|that)\s+(?:e-?mail\s+)?(?:e-?mail|address|contact|number)\b"
    r"|\b(?:cette\s+adresse|cet\s+e-?mail|ce\s+mail|diese\s+(?:e-?mail-?)?adresse|esta\s+direccion"
    r"|este\s+(?:correo|e-?mail|endereco)|dit\s+(?:e-?mail)?adres|questo\s+indirizzo)\b",
    r"\bunsere[nrs]?\s+[\w-]*(?:adresse|daten|mail|namen|nummer)",
    r"\b(?:nos|notre)\s+(?:adresse|coordonnees|donnees|e-?mail|mail|numero|informations)",
    r"\bnuestr[oa]s?\s+(?:datos|correo|direccion|e-?mail|numero|contacto)",
    r"\bonze\s+[\w-]*(?:gegevens|adres|naam|nummer)|\bons\s+[\w-]*(?:adres|nummer)\b",
    r"\b(?:nostri|nostro|nostra)\s+(?:dati|indirizzo|e-?mail|mail|contatto|numero)",
    r"\b(?:nossos|nosso|nossa)\s+(?:dados|e-?mail|endereco|contacto|contato|numero)",
    r"\bmeine[nrs]?\s+[\w-]*(?:adresse|daten|mail|namen|nummer)",
    r"\b(?:mes|mon|ma)\s+(?:adresse|coordonnees|donnees|e-?mail|mail|nom|numero|informations"
    r"|contact)",
    r"\bmis?\s+(?:datos|correo|direccion|e-?mail|nombre|numero|contacto)",
    r"\bmijn\s+[\w-]*(?:gegevens|adres|naam|nummer)",
    r"\b(?:miei|mio|mia)\s+(?:dati|indirizzo|e-?mail|mail|contatto|nome|numero)",
    r"\b(?:meus|meu|minha|o\s+meu|a\s+minha)\s+(?:dados|e-?mail|endereco|contacto|contato|nome"
    r"|numero)",
)
# What is held about the person: "what data do you hold about me", "welche Daten ... über mich".
_HELD_ABOUT_ME = re.compile(
    r"\b(?:what|which|welche\w*|quelles?|que|cuales|welke|quali|quais)\s+(?:\w+\s+){0,2}"
    r"(?:data|daten|donnees|datos|gegevens|dati|dados|informations?|informationen|informacion"
    r"|informazioni|informacoes)\b.*(?:\b(?:about|on)\s+me\b|\buber\s+mich\b|\bsur\s+moi\b"
    r"|\bsobre\s+mim?\b|\b(?:van|over)\s+mij\b|\bsu\s+di\s+me\b|\b(?:about|on)\s+us\b|\buber\s+uns\b"
    r"|\bsur\s+nous\b|\bsobre\s+(?:nosotros|nos)\b|\bover\s+ons\b|\bsu\s+di\s+noi\b"
    r"|\ba\s+meu\s+respeito\b|\byou\s+(?:hold|store|keep|process|have\s+(?:on|about))\b)"
)
_SENTENCE = re.compile(r"[.!?;\n]+")


@lru_cache(maxsize=PER_REPLY)
def data_request(written: str) -> PhraseMatch | None:
    """Return the words asking where our data came from, what we hold, or to erase it."""
    text = fold(written)
    if match := _SAYS_IT.search(text):
        return PhraseMatch("data_request", match.group(0).strip())
    for sentence in _SENTENCE.split(text):
        if (_FROM_WHERE.search(sentence) and _MY_DATA.search(sentence)) or _HELD_ABOUT_ME.search(
            sentence
        ):
            return PhraseMatch("data_request", sentence.strip()[:80])
    return phrases.erasure(written)
