"""Declines a model misreads: "not this year, try again in the autumn", "why would we need that?".

"Not now" with a later time is a rep's `not_interested` when nothing is agreed: a model weighs
the friendly "feel free to check back" and the time named as interest. It is interested only with
a next step asked for ("not before January: send an invite for the week of the 12th"), which the
model then reads. "Why would we need that?" is asked of no one: a rep hears a no, where a model
sees a question mark and a "why". Both matched on folded text (see `features.fold`), in our
seven languages.
"""

from __future__ import annotations

from cam.replies.alternation import compile_phrases
from cam.replies.features import fold
from cam.replies.next_steps import NEXT_STEP, next_step_asked
from cam.replies.phrases import PhraseMatch

# What a request beside "not now" may ask for and still make the reply more than a decline.
_WANTED = NEXT_STEP | {"send_me", "information", "learn_more", "proposal", "price"}
_NOT_NOW = compile_phrases(
    r"\bnot\s+(?:right\s+)?now\b|\bnot\s+at\s+(?:the|this)\s+(?:moment|time)\b"
    r"|\bnot\s+this\s+(?:year|quarter)\b|\bnot\s+for\s+now\b|\bno\s+(?:room|budget|capacity)\s+"
    r"(?:for\s+\w+\s+)?(?:this\s+year|right\s+now)\b",
    r"\b(?:nicht|nichts)\s+(?:jetzt|im\s+moment|derzeit|mehr\s+dieses\s+jahr)\b"
    r"|\bdieses\s+jahr\s+(?:wird\s+das\s+)?nicht\w*\b|\b(?:derzeit|aktuell|gerade|momentan)\s+"
    r"(?:leider\s+)?nicht\b|\bpasst\s+(?:gerade|derzeit|aktuell|jetzt)\s+nicht\b",
    r"\bpas\s+(?:maintenant|pour\s+le\s+moment|en\s+ce\s+moment|cette\s+annee)\b"
    r"|\bpas\s+le\s+moment\b",
    r"\b(?:por\s+ahora|ahora\s+mismo|de\s+momento|este\s+ano)\s+no\b|\bno\s+es\s+el\s+momento\b",
    r"\b(?:nu|op\s+dit\s+moment|dit\s+jaar)\s+niet\b|\bniet\s+nu\b|\bvoorlopig\s+niet\b",
    r"\b(?:adesso|per\s+ora|al\s+momento|quest'?\s*anno)\s+no\b|\bnon\s+e\s+il\s+momento\b"
    r"|\bper\s+ora\s+niente\b",
    r"\b(?:agora|por\s+agora|este\s+ano)\s+nao\b|\bnao\s+e\s+o\s+momento\b|\bnao\s+rola\s+agora\b",
)


def not_now(written: str) -> PhraseMatch | None:
    """Return the words declining for now, or None when the reply also asks something."""
    if "?" in written:
        return None
    text = fold(written)
    if (found := _NOT_NOW.search(text)) is None:
        return None
    # "Not now, but send me something to read": a request, not a decline.
    if next_step_asked(written, wanted=_WANTED) is not None:
        return None
    return PhraseMatch("not_interested.not_now", found.group(0).strip())


# "Why would we need that?", asked once and nothing else: the person answers it themselves.
_WHY_NEED = compile_phrases(
    r"\bwhy\s+would\s+(?:we|i|a|an|anyone|my|our)\b[^?.\n]{0,60}\bneed\b"
    r"|\bwhat\s+would\s+(?:we|i)\s+(?:need|want|do\s+with)\s+(?:that|this|it)\b",
    r"\bwozu\s+(?:brauchen|brauchten|sollten)\s+(?:wir|ich)\b"
    r"|\bwarum\s+sollten\s+wir\b[^?.\n]{0,60}\b(?:brauchen|benotigen)\b",
    r"\bpourquoi\s+(?:aurions|aurais)[\s-]*(?:nous|je|on)\s+besoin\b"
    r"|\ba\s+quoi\s+(?:ca|cela)\s+(?:nous|me)\s+servirait\b",
    r"\b(?:para|por)\s+que\s+(?:iba(?:mos)?\s+a\s+)?(?:necesitaria|necesitariamos|necesitar|querria|querriamos)\b",
    r"\bperche\s+(?:dovremmo|dovrei)\b[^?.\n]{0,60}\b(?:bisogno|servire)\b"
    r"|\ba\s+(?:cosa|che)\s+(?:ci|mi)\s+servirebbe\b",
    r"\bwaarom\s+zouden\s+(?:wij|we|ik)\b[^?.\n]{0,60}\bnodig\b"
    r"|\bwaarvoor\s+zouden\s+(?:wij|we|ik)\b[^?.\n]{0,60}\bnodig\b",
    r"\b(?:para|por)\s+que\s+(?:eu\s+|nos\s+)?(?:precisaria|precisariamos|iriamos\s+precisar)\b",
)


def no_need(written: str) -> PhraseMatch | None:
    """Return a rhetorical "why would we need that?", or None when anything else is asked."""
    if written.count("?") > 1:
        return None
    if (found := _WHY_NEED.search(fold(written))) is None:
        return None
    if next_step_asked(written, wanted=_WANTED) is not None:
        return None
    return PhraseMatch("not_interested.no_need", found.group(0).strip())
