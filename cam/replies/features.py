"""Turn what a person wrote into the features the reply model weighs.

The text is normalised so that languages and writing habits meet the model halfway: case,
accents and apostrophes are folded, and links, addresses, phone numbers, times and dates become
tokens ("14:30", "2pm" and "10h" are all `_time_`; a calendar link counts by its host, not its
path). Features are:

- word unigrams and bigrams (bigrams carry negation: "not interested", "kein interesse");
- character 3-5-grams inside word boundaries, for inflections, typos and unseen compounds;
- concepts from `reply_lexicon.toml` ("termin", "afspraak" and "call" are one `meeting`),
  so a little data in one language helps the others. A concept after a negation in the same
  clause counts as negated ("we won't be booking a demo": no booking, no demo), and one right
  after "thanks for" as what was received ("merci pour l'information" asks for none);
- what the sentences do (`speech_acts`): ask a question, or ask for something, which
  overrides a question;
- features derived from concepts, for what one word cannot say: thanks and good wishes with
  nothing else asked (an acknowledgement, not a polite no), a short reply that decides nothing
  (thanks, "who is this?", "passed it on": no request, no decline, no product question), and
  "not the right person" with or without someone else named (a referral or a decline);
- whether the person asked something ("?"), the length of what they wrote, and the words of a
  subject they wrote themselves.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cam.core.config_files import load_model
from cam.core.settings import DATA_DIR
from cam.replies.speech_acts import Openers, Sentence, acts, word_matches

LEXICON_FILE = DATA_DIR / "reply_lexicon.toml"
CHAR_SIZES = (3, 4, 5)
# How many words after a negation it reaches within its clause: a negated verb's object is
# negated too ("nous ne prendrons pas de rendez-vous pour une démo").
NEGATION_REACH = 6
# How many words after "thanks for" name what was received ("thank you for the quick info").
THANKS_REACH = 3

_URL = re.compile(r"\b(?:https?://|www\.)([^\s/<>]+)\S*", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4}\b|\.(?!\d))|\b\d{4}-\d{2}-\d{2}\b")
_TIME = re.compile(r"\b\d{1,2}(?::\d{2}|h\d{0,2}\b|\s?(?:am|pm|uhr|uur)\b)", re.IGNORECASE)
_PHONE = re.compile(r"[+(]?\d[\d ()/-]{7,}\d")
_DIGITS = re.compile(r"\d+")
_ANY_DIGIT = re.compile(r"\d")
# Words whose accent is all that tells them from another word once folded: Spanish "sí" and
# Italian "sì" say yes ("si" is "if"), Portuguese "já" says already (German "ja" is yes).
_ACCENTED_WORDS = {"si": "_yes_", "ja": "_already_"}
_ACCENTED = re.compile(r"\b(s[íì]|j[áà])\b", re.IGNORECASE)
# Words, and the marks that end a clause (a dash set off by spaces is one): a negation does not
# reach past them.
_TOKEN = re.compile(r"[a-z0-9_]+|[?!.;,:\n\u2013\u2014]|(?<=\s)-(?=\s)")
_SENTENCE_END = frozenset("?!.;\n")
# The first characters of the tokens that are marks, not words.
_MARKS = frozenset("?!.;,:\n\u2013\u2014-")
# Accents and other combining marks, as NFKD decomposition leaves them.
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_COURTESY = frozenset({"k:thanks", "k:received", "k:season", "k:wishes"})
# What a reply that decides nothing may say: thanks, a note that it was passed on or will be
# looked at, not knowing who wrote. A short reply saying only these (`k:nothing_decided`) asks
# for nothing, declines nothing and asks nothing about the product.
_NOTHING_DECIDED = _COURTESY | {
    "k:confused",
    "k:fyi",
    "k:forwarded",
    "k:internal",
    "k:later",
    "k:away",
    "k:wh",
}
_LATER_WHEN = frozenset({"k:when"})
# Words in a reply short enough for `k:nothing_decided`.
SHORT_REPLY = 8
_WRONG_PERSON = frozenset({"k:!person", "k:!owner"})
_REFERRAL = frozenset({"k:colleague", "k:contact_them", "k:owner", "w:_email_"})
_HOST_LABEL = re.compile(r"(?:^|\.)([a-z0-9-]+)\.[a-z]{2,}$")
_OUR_SUBJECT = re.compile(r"\s*(re|aw|r|rif|sv|antw|wg|fw|fwd|tr|rv|enc)\s*:", re.IGNORECASE)


class LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    negations: list[str]
    clause_breaks: list[str]
    question_openers: list[str]
    imperatives: list[str]
    thanks_for: list[str]
    greetings: list[str]
    concepts: dict[str, list[str]]


@dataclass(frozen=True)
class Lexicon:
    """The concepts, indexed for lookup word by word."""

    negations: frozenset[str]
    words: dict[str, tuple[str, ...]]
    prefixes: dict[str, tuple[str, ...]]
    prefix_sizes: tuple[int, ...]
    # First word -> (the phrase's words, its concept); a last word ending in "*" is a prefix.
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    clause_breaks: frozenset[str]
    question_openers: Openers
    imperatives: Openers
    thanks_for: frozenset[str]
    # First word -> the greetings that start with it, as word tuples.
    greetings: dict[str, tuple[tuple[str, ...], ...]]
    # The most words in one phrase: a phrase is matched against no more tokens than this.
    longest_phrase: int
    _by_word: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    _plain: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def plain(self, word: str) -> bool:
        """Whether a word means nothing to the lexicon: no concept, phrase, greeting, negation,
        clause break or "thanks for" (cached; most words of a reply are plain)."""
        found = self._plain.get(word)
        if found is None:
            found = self._plain[word] = not (
                self.word_concepts(word)
                or word in self.phrases
                or word in self.greetings
                or word in self.negations
                or word in self.clause_breaks
                or word in self.thanks_for
            )
        return found

    def word_concepts(self, word: str) -> tuple[str, ...]:
        """Return the concepts one word stands for, as itself or by a prefix (cached)."""
        found = self._by_word.get(word)
        if found is None:
            matches = list(self.words.get(word, ()))
            for size in self.prefix_sizes:
                if size > len(word):
                    break
                matches.extend(self.prefixes.get(word[:size], ()))
            found = self._by_word[word] = tuple(matches)
        return found


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Read and index the lexicon file; raise ValueError naming what is wrong."""
    source = load_model(path, LexiconFile, "reply lexicon", ValueError)
    words: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for concept, entries in source.concepts.items():
        for entry in entries:
            parts = tuple(fold(entry).split())
            if len(parts) > 1:
                phrases.setdefault(parts[0], []).append((parts, concept))
            elif parts and parts[0].endswith("*"):
                prefixes.setdefault(parts[0][:-1], []).append(concept)
            elif parts:
                words.setdefault(parts[0], []).append(concept)
    return Lexicon(
        negations=frozenset(fold(n) for n in source.negations),
        words={w: tuple(dict.fromkeys(c)) for w, c in words.items()},
        prefixes={p: tuple(dict.fromkeys(c)) for p, c in prefixes.items()},
        prefix_sizes=tuple(sorted({len(p) for p in prefixes})),
        phrases={w: tuple(p) for w, p in phrases.items()},
        clause_breaks=frozenset(fold(w) for w in source.clause_breaks),
        question_openers=Openers.of(tuple(fold(e).split()) for e in source.question_openers),
        imperatives=Openers.of(tuple(fold(e).split()) for e in source.imperatives),
        thanks_for=frozenset(fold(w) for w in source.thanks_for),
        greetings=_by_first_word(tuple(fold(g).split()) for g in source.greetings),
        longest_phrase=max((len(p) for found in phrases.values() for p, _c in found), default=1),
    )


def _by_first_word(entries: Iterable[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    indexed: dict[str, list[tuple[str, ...]]] = {}
    for parts in entries:
        indexed.setdefault(parts[0], []).append(parts)
    return {word: tuple(found) for word, found in indexed.items()}


@lru_cache(maxsize=256)
def fold(text: str) -> str:
    """Lower-case and strip accents: "Préférence" and "preference" are the same word.

    Each reply's text is folded by every phrase rule in turn: cached, it is folded once.
    """
    text = text.lower().replace("ß", "ss").replace("\u2019", "'")
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def normalise(text: str) -> str:
    """Return `text` folded, with links, addresses, dates, times, phones and digits as tokens.

    Each replacement runs only where its pattern can match: most replies have no link, no
    address and no digit, and an accented "sí" or "já" needs a character outside ASCII.
    """
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        text = _URL.sub(_url_token, text)
    if "@" in text:
        text = _EMAIL.sub(" _email_ ", text)
    if _ANY_DIGIT.search(text):
        text = _DATE.sub(" _date_ ", text)
        text = _TIME.sub(" _time_ ", text)
        text = _PHONE.sub(" _phone_ ", text)
    if not text.isascii():
        text = _ACCENTED.sub(lambda m: f" {_ACCENTED_WORDS[fold(m.group(1))]} ", text)
    text = fold(text)
    return _DIGITS.sub("0", text) if _ANY_DIGIT.search(text) else text


def features(subject: str, written: str, lexicon: Lexicon | None = None) -> set[str]:
    """Return the feature set of a reply: its subject and what the person wrote.

    `written` is the text without quoted history and signature (`classifier.written_part`).
    """
    words, found = feature_parts(subject, written, lexicon)
    for word in words:
        found.update(char_grams(word))
    return found


def feature_parts(
    subject: str, written: str, lexicon: Lexicon | None = None
) -> tuple[set[str], set[str]]:
    """Return a reply's distinct words, whose `char_grams` are features too, and all its other
    features: a model looks up a word's n-grams once, not once per reply."""
    tokens = _TOKEN.findall(normalise(written))
    word_tokens = [t for t in tokens if t[0] not in _MARKS]
    found: set[str] = {f"w:{w}" for w in word_tokens}
    found.update(
        f"b:{a} {b}"
        for a, b in itertools.pairwise(tokens)
        if a[0] not in _MARKS and b[0] not in _MARKS
    )
    lexicon = lexicon or load_lexicon()
    read = sentences(tokens, lexicon)
    concepts = {f"k:{c}" for sentence in read for c in sentence.concepts}
    found.update(concepts)
    doing = acts(read, lexicon.question_openers, lexicon.imperatives)
    # Thanks and good wishes, asking nothing: an acknowledgement, not a decision.
    said = {f for f in concepts if not f.startswith("k:~")}
    if said and said <= _COURTESY and not doing and lexicon.negations.isdisjoint(word_tokens):
        found.add("k:courtesy_only")
    # "I'll get back to you next week": a time said only of when they will look.
    decides_nothing = _NOTHING_DECIDED | (_LATER_WHEN if "k:later" in said else frozenset())
    if (
        len(word_tokens) <= SHORT_REPLY
        and said
        and said <= decides_nothing
        and "k:request" not in doing
        and ("k:question" not in doing or "k:confused" in said)
        and lexicon.negations.isdisjoint(word_tokens)
    ):
        found.add("k:nothing_decided")
    found.update(doing)
    # "Not the right person" names someone else to talk to (a referral) or no one (a decline);
    # "X is the right person", with X copied in or named, refers too.
    if not found.isdisjoint(_WRONG_PERSON):
        found.add("k:wrong_person_" + ("referred" if found & _REFERRAL else "alone"))
    elif "k:person" in found and found & _REFERRAL:
        found.add("k:wrong_person_referred")
    if "?" in tokens:
        found.add("w:_question_mark_")
    found.add("n:" + ("none" if not word_tokens else "short" if len(word_tokens) <= 4 else "long"))
    # Subjects are mostly ours ("Re: <our subject>"); only a subject the person wrote tells.
    if not _OUR_SUBJECT.match(subject):
        found.update(f"s:{t}" for t in _TOKEN.findall(normalise(subject)) if t[0] not in _MARKS)
    return set(word_tokens), found


def tokens(written: str) -> list[str]:
    """Return the words and clause marks of a text as `sentences` reads them."""
    return _TOKEN.findall(normalise(written))


def words(written: str) -> list[str]:
    """Return the words of a text as the model reads them (normalised, no punctuation)."""
    return [t for t in _TOKEN.findall(normalise(written)) if t[0] not in _MARKS]


def sentences(tokens: Sequence[str], lexicon: Lexicon) -> list[Sentence]:
    """Split `tokens` into sentences with their concepts.

    A concept is named as in the lexicon ("meeting"), negated ("!meeting") within a negation's
    reach in its clause, thanked for ("~information") right after "thanks for".
    """
    found: list[Sentence] = []
    words: list[str] = []
    said: set[str] = set()
    negated_until = thanked_until = thanks_at = greeting_until = -1
    greetings, phrases, plain = lexicon.greetings, lexicon.phrases, lexicon._plain
    for i, part in enumerate(tokens):
        if part[0] in _MARKS:
            negated_until = thanked_until = -1
            if part in _SENTENCE_END and (words or said):
                found.append(Sentence(tuple(words), frozenset(said), part == "?"))
                words, said = [], set()
            continue
        words.append(part)
        if plain.get(part) or (part not in plain and lexicon.plain(part)):
            continue  # changes nothing but the sentence's words
        if i > greeting_until and part in greetings:
            greeting_until = i + _greeting_length(tokens, i, lexicon) - 1
        if i <= greeting_until:
            continue  # "good morning" names no time
        if part in lexicon.clause_breaks:
            negated_until = -1
        mark = "!" if i <= negated_until else "~" if i <= thanked_until else ""
        meant = _concepts_at(tokens, i, lexicon) if part in phrases else lexicon.word_concepts(part)
        if meant:
            said.update(mark + concept for concept in meant)
        if part in lexicon.negations:
            negated_until = i + NEGATION_REACH
        elif "thanks" in meant:
            thanks_at = i
        elif part in lexicon.thanks_for and i - thanks_at <= 2:
            thanked_until = i + THANKS_REACH
    if words or said:
        found.append(Sentence(tuple(words), frozenset(said), False))
    return found


def describe(feature: str) -> str:
    """Name a feature for people: "word 'termin'", "words 'not interested'", "chars 'demo'"."""
    kind, _, value = feature.partition(":")
    name = {
        "w": "word",
        "b": "words",
        "c": "chars",
        "s": "subject word",
        "k": "concept",
        "n": "length",
    }.get(kind, kind)
    if kind == "k" and value.startswith("!"):
        return f"negated concept {value[1:]!r}"
    return f"{name} {value.strip()!r}"


@lru_cache(maxsize=65536)
def char_grams(word: str) -> tuple[str, ...]:
    """Return the character n-gram features of a word (most words recur: cached)."""
    padded = f" {word} "
    return tuple(
        f"c:{padded[i : i + size]}" for size in CHAR_SIZES for i in range(len(padded) - size + 1)
    )


def _concepts_at(tokens: Sequence[str], i: int, lexicon: Lexicon) -> list[str]:
    token = tokens[i]
    found = list(lexicon.word_concepts(token))
    following = tokens[i + 1 : i + lexicon.longest_phrase]
    for parts, concept in lexicon.phrases.get(token, ()):
        rest = parts[1:]
        if len(rest) <= len(following) and all(
            word_matches(part, word) for part, word in zip(rest, following, strict=False)
        ):
            found.append(concept)
    return found


def _greeting_length(tokens: Sequence[str], i: int, lexicon: Lexicon) -> int:
    """Return how many words of a greeting start at `i` (0 for none)."""
    for parts in lexicon.greetings.get(tokens[i], ()):
        if tuple(tokens[i : i + len(parts)]) == parts:
            return len(parts)
    return 0


def _url_token(match: re.Match[str]) -> str:
    host = match.group(1).lower().split(":")[0]
    label = _HOST_LABEL.search(host)
    return f" _url_ {label.group(1) if label else ''} "
