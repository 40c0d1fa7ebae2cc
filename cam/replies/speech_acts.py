"""What each sentence of a reply does: ask something, ask for something, or only thank.

Words alone mislead where a reply mentions a meeting, a demo or a price: "is the demo live or
recorded?" asks about the product, "could we do a demo?" asks for one, "thanks for the info"
thanks for something received. Grammar tells them apart in every one of our languages:

- a question ends with a question mark, or opens with an interrogative word or, in English,
  German and Dutch, a verb ("is there", "gibt es", "werkt het");
- a request pairs a form that asks ("could we", "pouvez-vous", "kunt u", "me gustaría"), a
  glad acceptance ("gerne", "volontiers") or "when?" with what is asked for (a meeting, a time,
  "30 minutes", a proposal, a price, material); or opens with an imperative ("send me",
  "schicken Sie mir", "envoyez-moi", "pásame", "stuur me", "mandami", "marque-me"); or proposes
  a time (a day or an hour in a sentence that asks, or that speaks of meeting or being free);
- a request overrides a question: "can you send pricing?" asks for pricing, while "how much is
  it?" alone asks before agreeing to anything, as reps read it: a question.

The result is two features: `k:request` when some sentence asks for something, `k:question`
when some sentence asks and none requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# What a request can ask for (concepts of the lexicon).
REQUESTED = frozenset(
    {
        "meeting",
        "schedule",
        "proposal",
        "price",
        "information",
        "learn_more",
        "send_me",
        "trial",
        "availability",
        "when",
        "duration",
    }
)
# Concepts that ask for something on their own, in a sentence where they are not negated.
REQUESTS_ALONE = frozenset({"send_me", "next_step"})
# What makes a day or an hour a proposed time rather than a date mentioned in passing.
TIME_CONTEXT = frozenset({"availability", "meeting", "schedule"})
# Words before an imperative that keep it one: "please send", "bitte schicken", "gern buchen".
POLITE = frozenset({"please", "pls", "bitte", "gern", "gerne", "merci", "por", "favor", "graag"})

Entries = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Openers:
    """Lexicon entries that count when they open a sentence, indexed by their first word."""

    exact: dict[str, Entries] = field(default_factory=dict)
    # Entries whose first word is a prefix ("welche*"): few, tried one by one.
    prefixed: Entries = ()
    # The entries that can open with a word: its exact ones and the prefixed ones it starts
    # with, found once per word.
    _by_word: dict[str, Entries] = field(default_factory=dict, compare=False, repr=False)

    def starting_with(self, word: str) -> Entries:
        """Return the entries whose first part matches `word` (cached)."""
        found = self._by_word.get(word)
        if found is None:
            found = self._by_word[word] = self.exact.get(word, ()) + tuple(
                parts for parts in self.prefixed if word_matches(parts[0], word)
            )
        return found

    @classmethod
    def of(cls, entries: Iterable[tuple[str, ...]]) -> Openers:
        exact: dict[str, list[tuple[str, ...]]] = {}
        prefixed = []
        for parts in entries:
            if parts[0].endswith("*"):
                prefixed.append(parts)
            else:
                exact.setdefault(parts[0], []).append(parts)
        return cls({w: tuple(e) for w, e in exact.items()}, tuple(prefixed))


@dataclass(frozen=True)
class Sentence:
    """One sentence as the model reads it: its words, its concepts, whether it ends in '?'.

    Concepts are named as in the lexicon; a negated one starts with "!" ("!meeting"), one that
    is what the person thanks for with "~" ("~information").
    """

    words: tuple[str, ...]
    concepts: frozenset[str]
    question_mark: bool


def acts(sentences: Iterable[Sentence], openers: Openers, imperatives: Openers) -> set[str]:
    """Return `k:request` and/or `k:question` for a reply's sentences (see the module)."""
    asked = requested = False
    for sentence in sentences:
        asking = asks(sentence, openers)
        requested = requested or _requests(sentence, asking, imperatives)
        asked = asked or asking
    if requested:
        return {"k:request"}
    return {"k:question"} if asked else set()


def asks(sentence: Sentence, openers: Openers) -> bool:
    """Whether the sentence asks: a question mark, or an interrogative opener."""
    return sentence.question_mark or opens_with(sentence.words, openers)


def requests(sentence: Sentence, openers: Openers, imperatives: Openers) -> bool:
    """Whether the sentence asks for something (see the module)."""
    return _requests(sentence, asks(sentence, openers), imperatives)


def opens_with(words: Sequence[str], entries: Openers, skip: frozenset[str] = frozenset()) -> bool:
    """Say whether `words` start with one of `entries`, after any words of `skip`."""
    start = 0
    while start < len(words) and words[start] in skip:
        start += 1
    if start == len(words):
        return False
    return any(
        len(words) - start >= len(parts)
        and all(word_matches(part, words[start + k]) for k, part in enumerate(parts[1:], 1))
        for parts in entries.starting_with(words[start])
    )


def word_matches(part: str, word: str) -> bool:
    """Match one word of a lexicon entry; a part ending in "*" matches by prefix."""
    return word.startswith(part[:-1]) if part.endswith("*") else word == part


def _requests(sentence: Sentence, asks: bool, imperatives: Openers) -> bool:
    said = sentence.concepts
    if not said.isdisjoint(REQUESTS_ALONE) or opens_with(sentence.words, imperatives, POLITE):
        return True
    if ("ask_for" in said or "gladly" in said) and not said.isdisjoint(REQUESTED):
        return True
    if "ask_when" in said and asks and not said.isdisjoint(TIME_CONTEXT):
        return True
    return "when" in said and (asks or not said.isdisjoint(TIME_CONTEXT))
