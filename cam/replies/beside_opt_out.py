"""A request for a next step or for information beside an opt-out phrase: a person decides.

"Take me off the weekly newsletter. But can you book a demo with our ops lead?" holds a removal
phrase, yet a rep would answer it: the reply asks for something about the offer. Suppressing it
at once would lose the lead for good, so such a reply is filed by its request (`interested` for
a next step, `question` for information), stops the sequence as every reply does, and its card
asks the team whether the opt-out is meant. The phrase still decides at once when the reply
also declines ("not interested, take me off") or asks where we got the address or what we hold
(a data request comes with the opt-out, not instead of it).

What counts, read sentence by sentence on what is left once every clause holding an opt-out
phrase is set apart: a request (`speech_acts.requests`) naming a next step (a call, a demo, a
trial, a proposal, a time) is `interested`; a question or a request where the offer is named
(its price, how it works, a trial, references, terms, material) is `question`, and so is any
other question a person would answer ("do you have a partner in Vienna?"), since the sequence
stops either way and only the team's click can lose them for good. A reproach in question form
("why do you keep writing? remove me", "how many times…") is part of the opt-out, which
stands. Deterministic: no model is asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cam.core.models import ReplyClass
from cam.replies import data_requests, explain, phrases
from cam.replies.features import fold, load_lexicon, sentences, tokens, words
from cam.replies.next_steps import NEXT_STEP, next_step_asked
from cam.replies.speech_acts import Openers, asks, opens_with, requests

# What a question about the offer names: the next steps, and what one asks before taking one.
OFFER = NEXT_STEP | {
    "price",
    "how_much",
    "information",
    "learn_more",
    "how_it_works",
    "contract",
    "customers",
}
# What declines: with one of these, the opt-out phrase is meant ("not interested, remove me").
DECLINES = frozenset({"!interest", "decline", "satisfied", "chose"})
# Questions that reproach rather than ask: beside an opt-out phrase they are part of it.
_REPROACHES = Openers.of(
    tuple(entry.split())
    for entry in (
        "why",
        "how many",
        "how often",
        "how dare",
        "who do you think",
        "are you serious",
        "are you kidding",
        "what part of",
        "what don t you",
        "what do you not",
        "do you ever",
        "warum",
        "wieso",
        "weshalb",
        "wozu",
        "wie oft",
        "wie viele",
        "soll das",
        "pourquoi",
        "combien de fois",
        "c est une blague",
        "por que",
        "para que",
        "cuantas veces",
        "es una broma",
        "perche",
        "quante volte",
        "e uno scherzo",
        "porque",
        "porqu*",
        "para que",
        "quantas vezes",
        "waarom",
        "hoe vaak",
        "hoeveel keer",
    )
)
# Where a clause ends, and the words that turn from an opt-out to something else.
_CLAUSES = re.compile(r"[.!?;,\n]+")
_TURNS = re.compile(
    r"\b(?:but|however|though|aber|jedoch|sondern|mais|par\s+contre|en\s+revanche|pero"
    r"|sin\s+embargo|maar|ma|pero|tuttavia|mas|porem|contudo|no\s+entanto)\b"
)


@dataclass(frozen=True)
class Beside:
    """The request a reply makes beside its opt-out phrase, and how it is filed."""

    kind: ReplyClass
    rule: str
    # The sentence that asks, as the person wrote it.
    sentence: str

    def why(self, opt_out: phrases.PhraseMatch) -> str:
        """The rule that decided, with the opt-out phrase set beside it (the details)."""
        return (
            f"rule {self.rule}: {self.sentence[:80]!r}; "
            f"opt-out phrase for the team: {opt_out.rule}: {opt_out.phrase[:60]!r}"
        )


def request_beside(written: str) -> Beside | None:
    """Return the request beside the reply's opt-out phrase, or None when the opt-out stands.

    `written` is what the person wrote (no quoted history, no signature).
    """
    if data_requests.data_request(written) is not None:
        return None
    lexicon = load_lexicon()
    if any(not s.concepts.isdisjoint(DECLINES) for s in sentences(tokens(written), lexicon)):
        return None
    rest = without_opt_out(written)
    read = sentences(tokens(rest), lexicon)
    openers, imperatives = lexicon.question_openers, lexicon.imperatives
    if (asked := next_step_asked(rest, lexicon)) is not None:
        return _found(ReplyClass.interested, asked.words, written)
    if any(not sentence.concepts.isdisjoint(OFFER) for sentence in read):
        for sentence in read:
            if asks(sentence, openers) or requests(sentence, openers, imperatives):
                return _found(ReplyClass.question, sentence.words, written)
    for sentence in read:
        # Any other question still wants an answer ("take me off the webinar list; do you have
        # a partner in Vienna?"), unless it is a reproach ("why do you keep writing?").
        if sentence.question_mark and not opens_with(sentence.words, _REPROACHES):
            return _found(ReplyClass.question, sentence.words, written)
    return None


def without_opt_out(written: str) -> str:
    """What the reply says outside its clauses that hold an opt-out phrase (folded)."""
    text = fold(written)
    kept: list[str] = []
    start = 0
    for end in [*_CLAUSES.finditer(text), None]:
        clause = text[start : end.start() if end is not None else len(text)]
        mark = end.group(0) if end is not None else ""
        start = end.end() if end is not None else start
        if not phrases.holds_opt_out(clause):
            kept.append(clause + mark)
        else:
            # "take me off the newsletter but book a demo": what follows the turn is kept.
            parts = [part for part in _TURNS.split(clause) if not phrases.holds_opt_out(part)]
            kept.append(" ".join(parts) + mark)
    return " ".join(part.strip() for part in kept if part.strip())


def _found(kind: ReplyClass, said: Sequence[str], written: str) -> Beside:
    """The request, quoted as the person wrote its sentence."""
    return Beside(kind, f"{kind.value}.beside_opt_out", _sentence_of(written, said))


def _sentence_of(written: str, said: Sequence[str]) -> str:
    """The sentence of `written` whose words begin with `said`'s first words."""
    start = list(said[:3])
    for sentence in explain.sentences(written):
        found = words(sentence)
        if any(found[k : k + len(start)] == start for k in range(len(found))):
            return sentence
    return " ".join(said)
