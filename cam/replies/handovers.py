"""A reply that only passes us on: "not my area, write to Anna Rossi (a.rossi@...)".

The person says the mail is not for them and names someone else, and asks for nothing: no
call, no demo, no word that the other person is interested. A rep files it as `other` and writes
to the person named (a hand-over *with* a request to set something up, or with interest, is
`interested`, and goes on to the model). "I'm not the right person, sorry" names nobody and is
left to the model. Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

import re

from cam.replies.alternation import compile_phrases
from cam.replies.features import fold, load_lexicon, sentences, tokens
from cam.replies.phrases import PhraseMatch

# "Not for me": in our seven languages.
_NOT_ME = compile_phrases(
    r"\bnot\s+(?:the\s+)?(?:right|correct|best)\s+(?:person|contact|one)\b"
    r"|\bnot\s+(?:really\s+)?my\s+(?:area|department|remit|field|responsibility|call)\b"
    r"|\b(?:i'?m|i\s+am)\s+not\s+(?:the\s+one|responsible|in\s+charge)\b|\bwrong\s+person\b",
    r"\bnicht\s+zustandig\b|\bnicht\s+(?:der|die)\s+richtige\w*\s+ansprech\w*"
    r"|\bbei\s+mir\s+falsch\b|\bnicht\s+mein\s+(?:bereich|thema)\b",
    r"\bpas\s+(?:la\s+bonne\s+personne|le\s+bon\s+interlocuteur|la\s+bonne\s+interlocutrice)\b"
    r"|\bce\s+n'?\s*est\s+pas\s+moi\s+qui\b|\bpas\s+(?:de\s+)?mon\s+(?:ressort|domaine)\b",
    r"\bno\s+soy\s+(?:yo\s+)?la\s+persona\s+(?:adecuada|indicada|correcta)\b"
    r"|\bno\s+llevo\s+(?:este|ese)\s+tema\b|\bno\s+me\s+corresponde\b|\bno\s+es\s+mi\s+area\b",
    r"\bniet\s+de\s+juiste\s+persoon\b|\bhier\s+ga\s+ik\s+niet\s+over\b"
    r"|\bniet\s+mijn\s+(?:afdeling|terrein)\b",
    r"\bnon\s+sono\s+(?:io\s+)?la\s+persona\s+giusta\b|\bnon\s+(?:mi\s+occupo|seguo)\s+(?:io\s+)?"
    r"(?:di\s+)?(?:questo|questa|queste)\b|\bnon\s+e\s+di\s+mia\s+competenza\b",
    r"\bnao\s+sou\s+(?:eu\s+)?a\s+pessoa\s+certa\b|\bnao\s+sou\s+eu\s+quem\b|\bnao\s+e\s+comigo\b"
    r"|\bnao\s+e\s+da\s+minha\s+area\b",
)
# Someone else named: an address, or "speak with / write to" and a name.
_NAMED = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:speak|talk)\s+(?:with|to)\s+[A-Z]|\b(?:contact|write\s+to|reach\s+out\s+to)\s+[A-Z]"
    r"|\b(?:wenden\s+sie\s+sich\s+an|schreiben\s+sie)\s+(?:herrn?|frau)?\s*[A-Z]"
    r"|\b(?:voyez|contactez|ecrivez)\s+(?:avec\s+|a\s+)?(?:m\.|mme|madame|monsieur)?\s*[A-Z]"
    r"|\b(?:hable|hablen|escriba|escriban|escribid)\s+(?:con|a)\s+[A-Z]"
    r"|\b(?:scriva|scrivete|senta|sentite)\s+(?:ad?|con)\s+[A-Z]"
    r"|\b(?:fale|falem|escreva|escrevam)\s+com\s+(?:[oa]\s+)?[A-Z]"
    r"|\b(?:neem\s+contact\s+op\s+met|stuur\s+het\s+(?:maar\s+)?naar|mail)\s+[A-Z]"
)
# What a hand-over that is more than one names: interest, or a next step ...
_MORE = frozenset({"interest", "meeting", "schedule", "trial", "proposal", "learn_more", "gladly"})
# ... or the other person looking for just this.
_LOOKING = compile_phrases(
    r"\b(?:asking|looking|searching)\s+(?:about|for|into)\b|\bbeen\s+after\b",
    r"\bsucht\b|\bcherche\b|\bbusca(?:ndo)?\b|\bzoekt\b|\bcerca(?:ndo)?\b|\bprocura(?:ndo)?\b",
)


def handover(written: str) -> PhraseMatch | None:
    """Return the words passing us on to someone named, or None when the reply asks for more."""
    text = fold(written)
    cue = _NOT_ME.search(text)
    if cue is None or "?" in written or _NAMED.search(written) is None or _LOOKING.search(text):
        return None
    # "speak with Laura" names whom to write to, not a meeting with us.
    for sentence in sentences(tokens(_NAMED.sub(" ", written)), load_lexicon()):
        if not sentence.concepts.isdisjoint(_MORE):
            return None
    return PhraseMatch("other.handover", cue.group(0).strip())
