"""A prospect asking how we differ from what they have: a question, whatever else it says.

"We do this in-house, how are you different?" names what they have, which a model weighs as a
decline, but it asks to be told something before deciding: a rep answers it as a question. The
question is matched where it asks it (a question mark, or a question word opening it), in our
seven languages, on folded text (see `features.fold`).
"""

from __future__ import annotations

from cam.replies.alternation import compile_phrases
from cam.replies.features import fold
from cam.replies.phrases import PhraseMatch

_HOW_DIFFERENT = compile_phrases(
    r"\bhow\s+(?:are|is)\s+(?:you|your\s+\w+|this|that|it)\s+(?:any\s+)?different\b"
    r"|\bhow'?s\s+(?:this|that|it|yours?)\s+different\b|\bwhat'?s\s+the\s+difference\b"
    r"|\bhow\s+(?:does|do)\s+(?:it|this|that|you|yours?)\s+(?:differ|compare)\b"
    r"|\bwhat\s+(?:exactly\s+)?(?:would|does|can|could)\s+(?:\w+\s+){0,2}do\s+that\s+\w+\s+"
    r"(?:doesn'?t|does\s+not|can'?t|cannot)\b|\bwhat\s+do\s+(?:you|they)\s+(?:add|offer)\s+"
    r"(?:on\s+top|beyond)\b"
    r"|\bwhat\s+(?:makes|sets)\s+(?:you|your\s+\w+|this)\s+(?:different|apart)\b"
    r"|\bwhat\s+(?:would|do|can|could)\s+you\s+do\s+(?:that|which)\s+we\s+(?:don'?t|do\s+not"
    r"|can'?t|cannot)\b|\bwhat'?s\s+different\s+about\b",
    r"\bwas\s+unterscheidet\s+(?:sie|euch|ihr\w*|das)\b|\bwas\s+machen\s+sie\s+anders\b"
    r"|\bworin\s+unterscheide\w*\b|\bwie\s+unterscheide\w*\s+sich\b"
    r"|\bwas\s+ist\s+der\s+unterschied\b"
    r"|\bwas\s+(?:kann|bringt|konnen)\s+(?:\w+\W+){0,3}(?:was|gegenuber|mehr\s+als)\b",
    r"\ben\s+quoi\s+(?:votre|vous|est-?\s*ce|etes-?\s*vous|c'?\s*est)\b[^?]{0,40}\bdifferent"
    r"|\bqu'?\s*est-?\s*ce\s+qui\s+vous\s+(?:differencie|distingue)\b"
    r"|\bquelle\s+(?:est\s+|serait\s+)?la\s+difference\b|\bapporte\w*\s+de\s+plus\b",
    r"\ben\s+que\s+se\s+diferencia\w*\b|\bque\s+(?:os|les)\s+(?:diferencia|hace\s+diferentes)\b"
    r"|\bcual\s+es\s+la\s+diferencia\b|\bque\s+ventaja\w*\s+(?:tengo|tiene|tendria)\b",
    r"\bwat\s+doen\s+(?:jullie|u)\s+anders\b|\bwaarin\s+(?:verschil|onderscheid)\w*\b"
    r"|\bwat\s+is\s+het\s+verschil\b|\bhoe\s+verschilt\b",
    r"\bin\s+cosa\s+(?:siete|e|vi)\s+(?:diversi|divers[oa]|differenzia\w*)\b"
    r"|\bcosa\s+vi\s+(?:distingue|differenzia)\b|\bqual\s+e\s+la\s+differenza\b"
    r"|\bcosa\s+(?:avreste|avete|offrite)\s+(?:in\s+)?piu\b",
    r"\bem\s+que\s+(?:e\s+que\s+)?(?:sao|e|se)\s+(?:diferentes|diferente|diferenciam)\b"
    r"|\bo\s+que\s+(?:vos|os)\s+(?:diferencia|distingue)\b|\bqual\s+(?:e\s+)?a\s+diferenca\b"
    r"|\bo\s+que\s+(?:voces|vcs|vos)\s+(?:tem|teem|oferecem)\s+(?:a|de)\s+mais\b",
)


def asks_how_different(written: str) -> PhraseMatch | None:
    """Return the words asking how we differ from what they have, or None."""
    if match := _HOW_DIFFERENT.search(fold(written)):
        return PhraseMatch("question.difference", match.group(0).strip())
    return None
