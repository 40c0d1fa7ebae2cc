"""Whether a reply asks for a next step: the sentence that asks for a call, a demo, a trial, a
proposal or a time (`speech_acts.requests` naming one of them).

Rules that read a reply as something else (an opt-out phrase beside a request, an absence told in
few words, a hand-over) give way when it also asks for a next step: "back on Monday, send an
invite for Tuesday" is a yes with a later date.
"""

from __future__ import annotations

from cam.replies.features import Lexicon, load_lexicon, sentences, tokens
from cam.replies.speech_acts import Sentence, requests

# What a request for a next step names.
NEXT_STEP = frozenset(
    {"meeting", "schedule", "trial", "proposal", "next_step", "availability", "when", "duration"}
)


def next_step_asked(
    text: str, lexicon: Lexicon | None = None, wanted: frozenset[str] = NEXT_STEP
) -> Sentence | None:
    """Return the first sentence of `text` asking for a next step (one of the `wanted`
    concepts), or None."""
    lexicon = lexicon or load_lexicon()
    for sentence in sentences(tokens(text), lexicon):
        if not sentence.concepts.isdisjoint(wanted) and requests(
            sentence, lexicon.question_openers, lexicon.imperatives
        ):
            return sentence
    return None
