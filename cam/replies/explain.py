"""Why a reply got its class, said the way a rep would say it, quoting the deciding words.

"asks for a next step: “send a few slots for a call next week”" reads at a glance where "model
interested 100%: concept 'request' +4.6" does not; the rule or the model's features stay behind
it as the details. Each decision of `rules` and `classifier` has its sentence here.
"""

from __future__ import annotations

import re

from cam.core.models import ReplyClass
from cam.replies.features import fold
from cam.replies.phrases import PhraseMatch

# What a reply of each class does, as a rep would put it.
_DOES = {
    ReplyClass.interested: "asks for a next step",
    ReplyClass.question: "asks before deciding",
    ReplyClass.not_interested: "declines",
    ReplyClass.other: "decides nothing",
    ReplyClass.unsubscribe: "asks not to be written to",
    ReplyClass.out_of_office: "is away",
    ReplyClass.bounce: "did not arrive",
}
# The deterministic rules, by the name they record.
_RULES = {
    "unsubscribe.subject": "opt-out in the subject",
    "unsubscribe.request": "opt-out phrase",
    "unsubscribe.gdpr": "objects under the GDPR",
    "unsubscribe.complaint": "complains about the mail",
    "data_request": "asks where we got their data",
    "question.before_commitment": "asks the price before giving time",
    "question.difference": "asks how we differ from what they have",
    "data_request.erasure": "asks us to erase their data",
    "other.misdirected": "reached the wrong person",
    "other.handover": "passes us on to someone else",
    "other.elsewhere": "is about something else",
    "interested.bare_yes": "says yes",
    "not_interested.bare_no": "says no",
    "not_interested.not_now": "declines for now",
    "not_interested.no_need": "asks why they would need it, and answers no",
    "other.acknowledgement": "only thanks or confirms receipt",
    "other.ticket": "a ticket system's receipt",
    "absence.gone": "gone for good",
    "absence.away": "away",
}
QUOTE_CHARS = 120
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w")


def quoted(phrase: str) -> str:
    """The prospect's words in quotation marks, cut at a word when long."""
    phrase = " ".join(phrase.split())
    if len(phrase) > QUOTE_CHARS:
        phrase = phrase[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
    return f"\u201c{phrase}\u201d"


def sentences(written: str) -> list[str]:
    """The sentences of what the person wrote, without blank ones."""
    return [s.strip() for s in _SENTENCES.split(written) if _WORD.search(s)]


def in_words(written: str, phrase: str) -> str:
    """The sentence of `written` a folded `phrase` was found in, as the person wrote it."""
    for sentence in sentences(written):
        if phrase and phrase in fold(sentence):
            return sentence
    return phrase


def by_model(label: ReplyClass, phrase: str, confidence: float) -> str:
    """The model decided: what the reply does, and its sentence that weighed most."""
    sure = f" ({confidence:.0%} sure)" if confidence < 0.9 else ""
    return f"{_DOES[label]}: {quoted(phrase)}{sure}" if phrase else f"{_DOES[label]}{sure}"


def by_rule(rule: str, phrase: str, written: str = "") -> str:
    """A phrase rule decided: which kind of rule, and the sentence it matched in."""
    name = _RULES.get(rule) or f"rule {rule.removeprefix('rule ')}"
    return f"{name}: {quoted(in_words(written, phrase) if written else phrase)}"


def beside_opt_out(kind: ReplyClass, sentence: str, opt_out: PhraseMatch, written: str) -> str:
    """A request beside an opt-out phrase: what it asks, and the phrase for the team to confirm."""
    phrase = quoted(in_words(written, opt_out.phrase) if written else opt_out.phrase)
    return f"{_DOES[kind]}: {quoted(sentence)}; also has an opt-out phrase {phrase}: confirm?"


def set_aside(why: str) -> str:
    """An opt-out phrase the reply does not mean, said as such."""
    kind, _, words = why.partition(": ")
    return f"not an opt-out ({kind}): {quoted(words)}"


def by_header(name: str) -> str:
    return f"auto-reply header {name}"


def bounce(reason: str, address: str) -> str:
    """A bounce: why the first failed recipient failed, and who."""
    return f"bounce, {reason.replace('_', ' ')}: {address}"
