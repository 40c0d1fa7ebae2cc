"""Questions asked before any commitment: a `question`, though the reply names a demo or a call.

"Roughly what does this cost, before I give up an hour for a demo" and "a few questions before I
take it to my boss: does it ...?" ask to be told something before deciding; a model weighs the
demo, the call and the warmth and calls them interested. Two forms, in our seven languages:
a price asked before giving time, and questions announced as coming first ("a few questions
first", "bevor wir über einen Termin reden, ein paar Fragen", "quelques questions avant d'aller
plus loin") in a reply that asks and requests no next step. Matched on folded text (see
`features.fold`).
"""

from __future__ import annotations

from cam.replies.alternation import compile_phrases
from cam.replies.features import fold
from cam.replies.next_steps import next_step_asked
from cam.replies.phrases import PhraseMatch

# A price asked for first: "what does it cost", "was kostet", "combien ça coûte", ...
_PRICE_QUESTION = compile_phrases(
    r"\b(?:what|how\s+much)\s+(?:does|would|will|do)\s+(?:this|it|that|they)\s+(?:roughly\s+)?"
    r"cost\b|\bballpark\b|\bhow\s+much\s+is\s+it\b",
    r"\bwas\s+(?:kostet|kosten|wurde)\b|\bwie\s+teuer\b",
    r"\bcombien\s+(?:ca|cela|ceci)\s+(?:coute|couterait)\b|\bquel\s+(?:est\s+le\s+)?prix\b",
    r"\bcuanto\s+(?:cuesta|costaria|vale|sale)\b",
    r"\bwat\s+(?:kost|kosten)\b",
    r"\bquanto\s+(?:costa|costerebbe|custa|custaria)\b",
)
# ... before giving time to a call or a demo: "before I give up an hour for a demo".
_BEFORE_COMMITTING = compile_phrases(
    r"\bbefore\s+(?:i|we)\s+(?:give|spend|book|commit|agree|set|take|sit)",
    r"\bbevor\s+(?:ich|wir)\b",
    r"\bavant\s+(?:de\s+|une?\s+|d'|un\s+)",
    r"\bantes\s+de\s+(?:dedicar|reservar|marcar|agendar|fixar|perder|gastar|una|um|uma)\b",
    r"\bprima\s+di\s+(?:fissare|dedicare|prenotare|una|un)\b",
    r"\b(?:voordat|eerst\s+een\s+indicatie)\b",
)


# Questions announced as coming first, or asked before the reply gives anything.
_QUESTIONS_FIRST = compile_phrases(
    r"\b(?:a\s+few|some|couple\s+of|two|three|several)\s+(?:\w+\s+)?(?:questions|things|points)"
    r"\s+(?:first|before)\b|\bbefore\s+(?:i|we)\s+(?:take|pass|pull|bring|go|read|involve|loop"
    r"|forward|escalate|commit|book|agree|give|spend|set)\b|\bbefore\s+anything\s+else\b",
    r"\b(?:ein\s+paar|einige|zwei|drei)\s+(?:\w+\s+)?fragen\b|\bbevor\s+(?:ich|wir)\b",
    r"\bquelques\s+questions\b|\bavant\s+d'?\s*aller\s+plus\s+loin\b|\bune\s+question\s+avant\b",
    r"\b(?:unas|algunas|un\s+par\s+de|dos)\s+(?:preguntas|dudas)\b|\buna\s+pregunta\s+antes\b"
    r"|\bantes\s+de\s+(?:seguir|avanzar|nada)\b",
    r"\b(?:alcune|un\s+paio\s+di|due)\s+domande\b|\bprima\s+di\s+(?:coinvolgere|procedere"
    r"|andare\s+avanti)\b|\bavrei\s+bisogno\s+di\s+capire\b",
    r"\b(?:algumas|umas|duas)\s+(?:perguntas|duvidas)\b|\buma\s+pergunta\s+antes\b"
    r"|\bantes\s+de\s+(?:levar|avancar|seguir)\b",
    r"\b(?:een\s+paar|enkele|twee)\s+vragen\b|\bvoordat\s+(?:ik|we|wij)\b",
)


def asks_before_committing(written: str) -> PhraseMatch | None:
    """Return the question a reply asks before giving its time, or None.

    "Roughly what does this cost, before I give up an hour for a demo" is asking, not yet
    agreeing: it names a demo only to put it off. So is a reply that announces its questions
    come first and asks them, as long as it asks for no next step.
    """
    text = fold(written)
    if (price := _PRICE_QUESTION.search(text)) and _BEFORE_COMMITTING.search(text):
        return PhraseMatch("question.before_commitment", price.group(0).strip())
    first = _QUESTIONS_FIRST.search(text)
    if first is not None and "?" in text and next_step_asked(written) is None:
        return PhraseMatch("question.before_commitment", first.group(0).strip())
    return None
