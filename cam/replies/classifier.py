"""Classify what a person wrote in a reply, and say why.

Explicit phrases decide first (`phrase_rules`: an opt-out in any of our seven languages is an
`unsubscribe` unless it stands beside a request, a question about where we got someone's data is
a `question` flagged as a data request; a price asked before giving time or "how are you
different?" is a `question`, a reply that went astray, only passes us on, only thanks or is a
ticket system's receipt is `other`, a bare yes or no, "not now"), then a reply nearly the same as
one the team labelled takes the team's label (`memory`). Everything else goes to
a multinomial naive Bayes model over the reply's features (`features`: words, word pairs,
character n-grams and cross-language concepts). Naive Bayes because it trains in one counting
pass, in well under a second at load time, so the team's own labels join the corpus by simply
retraining; and because each feature adds one weight per class (a row of a matrix, so a
reply's rows are added at once), so an answer is explained by the features that weighed most.

Class priors are left uniform: how often each class occurs in the labelled corpus says how it
was written, not how often prospects decline.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies import data_requests, explain, phrase_rules, phrases
from cam.replies.excerpt import clean_excerpt
from cam.replies.features import (
    Lexicon,
    char_grams,
    describe,
    feature_parts,
    features,
    load_lexicon,
    words,
)
from cam.replies.mail_text import MAX_TEXT_CHARS
from cam.replies.memory import TeamMemory

CORPUS_FILE = DATA_DIR / "reply_corpus.jsonl"
# How much one label from the team counts against one corpus reply: a person who corrected
# the model on a real prospect's reply outweighs an example written for the corpus.
TEAM_WEIGHT = 6.0
# Additive smoothing of the feature counts.
ALPHA = 0.3
# Weight of each kind of feature (the prefix of its name). Concepts weigh most: one concept
# stands for the same meaning in seven languages. Character n-grams weigh least: a word has
# many, and they overlap.
KIND_WEIGHTS: Mapping[str, float] = {"w": 1.0, "b": 1.0, "c": 0.3, "s": 1.0, "k": 6.0, "n": 1.0}
# Class scores are divided by this before the softmax that turns them into a confidence, and
# so are the weights shown as reasons. Chosen by cross-validation on the corpus, so that a
# confidence of 0.7-0.9 is right about as often as it says.
TEMPERATURE = 10.0
# Below this probability the model abstains: its class is only a guess for a person to check.
# Chosen by 5-fold cross-validation on the corpus (`bench.reply_floor`): the 40 answers under
# 0.6 were right 57 % of the time, hardly better than a coin between the two best guesses,
# those from 0.6 to 0.7 73 %, those above 0.7 at least 82 %; the floor holds back 5 % of the
# model's answers (each still gets its card, marked "needs a look").
CONFIDENCE_FLOOR = 0.6
# Reasons shown per answer: what the sentences do (a request, a question) often weighs most,
# and the fourth leaves room for what they are about (a meeting, a price).
REASONS = 4
# A reply's sentences scored to quote the one that decided: the first few are enough.
MAX_SENTENCES = 4
# Words whose n-gram rows a model keeps at once (a long-running process meets new words).
GRAM_CACHE = 65536


class CorpusRow(BaseModel):
    """One labelled reply of the corpus file (JSON Lines)."""

    model_config = ConfigDict(extra="forbid")

    lang: str
    label: ReplyClass
    subject: str = ""
    text: str
    data_request: bool = False


@dataclass(frozen=True)
class LabelledText:
    """A reply and its class, as training material: a corpus example or a team decision."""

    text: str
    label: ReplyClass
    subject: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class Prediction:
    """A class for a reply, how sure, and why (strongest reasons first)."""

    label: ReplyClass
    confidence: float
    reasons: tuple[str, ...]
    data_request: bool = False
    # The rule that decided: an explicit phrase ("unsubscribe.request") or "team_label" for a
    # reply nearly the same as one the team labelled; None when the model did.
    rule: str | None = None
    # The model's second guess and its probability, for a person deciding between the two.
    runner_up: tuple[ReplyClass, float] | None = None
    # An opt-out phrase beside the request this answer files the reply by: the team confirms.
    opt_out: phrases.PhraseMatch | None = None

    @property
    def unsure(self) -> bool:
        """Whether the model answered below the confidence floor (a rule never is)."""
        return self.rule is None and self.confidence < CONFIDENCE_FLOOR

    # Why, in words a rep reads, quoting the prospect's deciding phrase (`explain`).
    explanation: str = ""


class ReplyModel:
    """A trained classifier: `predict` a reply's class with the features that decided it."""

    def __init__(
        self,
        classes: tuple[ReplyClass, ...],
        weights: Mapping[str, Sequence[float]],
        lexicon: Lexicon,
        memory: TeamMemory | None = None,
    ) -> None:
        self.classes = classes
        # Per feature, what it adds to each class's score: its kind's weight times its log
        # likelihood in the class; one row of a matrix per feature, so a reply's rows are
        # gathered and added at once. A feature the model never saw takes the last row, all
        # zeros: it adds nothing and is never a reason.
        self._rows = {feature: n for n, feature in enumerate(weights)}
        self._names = list(weights)
        self._unseen = len(weights)
        # Each word's character n-grams, as the rows the model has for them.
        self._gram_rows: dict[str, tuple[int, ...]] = {}
        self._matrix = np.array(
            [*weights.values(), [0.0] * len(classes)], dtype=np.float64
        ).reshape(len(weights) + 1, len(classes))
        self._lexicon = lexicon
        self._memory = memory or TeamMemory(())

    def predict(self, text: str, subject: str = "") -> Prediction:
        """Classify a reply's text (quoted history included or not) and subject."""
        return self.predict_written(written_part(text), subject)

    def predict_written(self, written: str, subject: str = "") -> Prediction:
        """Classify what the person wrote (`written_part` of a reply's text) and the subject."""
        data_request = data_requests.data_request(written)
        opt_out = phrases.read_opt_out(subject, written)
        decided = phrase_rules.decide(written, opt_out.match, data_request)
        if decided is not None:
            return _by_rule(decided, data_request is not None, written, opt_out.set_aside)
        if self._memory and (recalled := self._memory.recall(written)) is not None:
            return Prediction(
                label=recalled.label,
                confidence=recalled.similarity,
                reasons=(
                    f"the team labelled a reply with {recalled.similarity:.0%} of these words"
                    f" {recalled.label.value}: {recalled.excerpt!r}",
                ),
                rule="team_label",
                explanation=f"like a reply the team labelled {recalled.label.value}: "
                + explain.quoted(recalled.excerpt),
            )
        return self._by_model(subject, written, opt_out.set_aside)

    def _by_model(self, subject: str, written: str, set_aside: tuple[str, ...] = ()) -> Prediction:
        """Weigh the features; a reply whose opt-out phrase was set aside (negated, a channel
        preference) is never read as an opt-out by the model either, and the reasons say why."""
        found = self._rows_of(subject, written)
        weights = self._matrix[np.fromiter(found, np.intp, len(found))]
        scores = weights.sum(axis=0).tolist()
        ranked = sorted(range(len(self.classes)), key=scores.__getitem__, reverse=True)
        if set_aside:
            ranked = [k for k in ranked if self.classes[k] is not ReplyClass.unsubscribe]
        best, runner_up = ranked[0], ranked[1]
        top = scores[best]
        exps = [math.exp((score - top) / TEMPERATURE) for score in scores]
        strongest = _strongest(weights[:, best] - weights[:, runner_up], found, self._names)
        reasons = tuple(
            f"{describe(feature)} {weight / TEMPERATURE:+.1f}"
            for weight, feature in strongest
            if weight > 0
        )
        reasons = reasons or ("no distinctive words",)
        total = sum(exps[k] for k in ranked)
        confidence = round(exps[best] / total, 3)
        explanation = explain.by_model(
            self.classes[best], self._deciding_sentence(written, best, runner_up), confidence
        )
        if set_aside:
            reasons = (f"not an opt-out, {set_aside[0][:100]}", *reasons)
            explanation = f"{explanation}; {explain.set_aside(set_aside[0])}"
        return Prediction(
            label=self.classes[best],
            confidence=confidence,
            reasons=reasons,
            runner_up=(self.classes[runner_up], round(exps[runner_up] / total, 3)),
            explanation=explanation,
        )

    def _deciding_sentence(self, written: str, best: int, runner_up: int) -> str:
        """The sentence of `written` whose features weigh most for the class over the next."""
        # Greetings and sign-offs ("Hi Maya,", "Thanks,") decide nothing: three words at least.
        candidates = [s for s in explain.sentences(written) if len(s.split()) >= 3]
        if len(candidates) <= 1:
            return candidates[0] if candidates else ""
        # Its words and word pairs are enough to tell which sentence decided, at a fraction of
        # the cost of all its features; the sentences' rows are gathered at once.
        keys: list[str] = []
        ends = []
        for sentence in candidates[:MAX_SENTENCES]:
            said = words(sentence)
            keys += [f"w:{w}" for w in said] + [f"b:{a} {b}" for a, b in itertools.pairwise(said)]
            ends.append(len(keys))
        weights = self._weights_of(keys)
        margins = (weights[:, best] - weights[:, runner_up]).tolist()
        scored = []
        for n, (start, end) in enumerate(itertools.pairwise([0, *ends])):
            scored.append((sum(margins[start:end]), -n, candidates[n]))
        return max(scored)[2]

    def _rows_of(self, subject: str, written: str) -> list[int]:
        """The rows of a reply's features that the model knows (the others weigh nothing)."""
        words, found = feature_parts(subject, written, self._lexicon)
        rows = self._rows
        known = {row for feature in found if (row := rows.get(feature)) is not None}
        grams = self._gram_rows
        for word in words:
            if (of_word := grams.get(word)) is None:
                if len(grams) >= GRAM_CACHE:
                    grams.clear()
                of_word = grams[word] = tuple(
                    row for gram in char_grams(word) if (row := rows.get(gram)) is not None
                )
            known.update(of_word)
        return list(known)

    def _weights_of(self, names: list[str]) -> npt.NDArray[np.float64]:
        """The rows of these features, in their order (an unseen one's is zeros)."""
        rows = map(self._rows.get, names, itertools.repeat(self._unseen))
        return self._matrix[np.fromiter(rows, np.intp, len(names))]


def _strongest(
    margins: npt.NDArray[np.float64], rows: list[int], names: list[str]
) -> list[tuple[float, str]]:
    """The REASONS largest (margin, feature name) pairs, ties broken by the feature's name;
    `rows` are the features' rows, in the order of `margins`."""
    if len(margins) <= REASONS:
        return heapq.nlargest(REASONS, zip(margins.tolist(), (names[r] for r in rows), strict=True))
    # Every margin at least the REASONS-th largest can be among them (ties included).
    floor = np.partition(margins, len(margins) - REASONS)[len(margins) - REASONS]
    chosen = np.flatnonzero(margins >= floor)
    values = margins[chosen].tolist()
    pairs = zip(values, (names[rows[k]] for k in chosen.tolist()), strict=True)
    return heapq.nlargest(REASONS, pairs)


Counts = dict[ReplyClass, dict[str, float]]


def written_part(text: str) -> str:
    """Return what the person wrote: no quoted history, no signature, disclaimer or footer.

    A signature says who wrote, not what they decided, and a long one (titles, phone numbers,
    a legal disclaimer) would outweigh a one-line answer.
    """
    return clean_excerpt(text, limit=MAX_TEXT_CHARS)


def train(examples: Iterable[LabelledText], lexicon: Lexicon | None = None) -> ReplyModel:
    """Train a model on `examples`, each counted `weight` times."""
    lexicon = lexicon or load_lexicon()
    return _fit(_count(examples, lexicon), lexicon)


def read_corpus(path: Path = CORPUS_FILE) -> list[CorpusRow]:
    """Read a labelled corpus file; raise ValueError naming the line that is wrong."""
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.append(CorpusRow.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return rows


def corpus_examples(path: Path = CORPUS_FILE) -> list[LabelledText]:
    """Return the corpus file's replies as training examples."""
    return [LabelledText(r.text, r.label, r.subject) for r in read_corpus(path)]


def team_example(text: str, label: ReplyClass, subject: str = "") -> LabelledText:
    """Return a person's decision on a reply as a training example that outweighs the corpus."""
    return LabelledText(text, label, subject, weight=TEAM_WEIGHT)


def model_with(team: Iterable[LabelledText]) -> ReplyModel:
    """Train on the corpus and the team's labels (see `team_example`).

    The corpus is counted once per process; only the team's labels are counted again. A team
    label raises its own features in its class, but the classes keep the sizes the corpus gave
    them: a heavy label would otherwise make its class less likely for every unrelated reply.
    """
    team = list(team)
    lexicon = load_lexicon()
    corpus = _corpus_counts()
    counts = {label: dict(found) for label, found in corpus.items()}
    for label, found in _count(team, lexicon).items():
        merged = counts.setdefault(label, {})
        for feature, value in found.items():
            merged[feature] = merged.get(feature, 0.0) + value
    memory = TeamMemory((written_part(e.text), e.label) for e in team)
    return _fit(counts, lexicon, sizes=corpus, memory=memory)


@lru_cache(maxsize=1)
def default_model() -> ReplyModel:
    """Return the model trained on the corpus alone, trained once per process."""
    return _fit(_corpus_counts(), load_lexicon())


@lru_cache(maxsize=1)
def _corpus_counts() -> Counts:
    return _count(corpus_examples(), load_lexicon())


def _count(examples: Iterable[LabelledText], lexicon: Lexicon) -> Counts:
    counts: Counts = {}
    for example in examples:
        found = features(example.subject, written_part(example.text), lexicon)
        class_counts = counts.setdefault(example.label, {})
        for feature in found:
            value = example.weight * KIND_WEIGHTS[feature[0]]
            class_counts[feature] = class_counts.get(feature, 0.0) + value
    return counts


def _fit(
    counts: Counts,
    lexicon: Lexicon,
    sizes: Counts | None = None,
    memory: TeamMemory | None = None,
) -> ReplyModel:
    """Turn feature counts into weights: smoothed log likelihoods, times each kind's weight.

    `sizes` holds the counts that size each class (its total), when not `counts` themselves.
    """
    if len(counts) < 2:
        raise ValueError("training needs examples of at least two classes")
    classes = tuple(sorted(counts))
    vocabulary = len(set().union(*counts.values()))
    sizes = sizes or counts
    log_totals = [
        math.log(sum(sizes.get(c, counts[c]).values()) + ALPHA * vocabulary) for c in classes
    ]
    # What a feature a class never showed weighs in it, per kind of feature.
    unseen = {
        kind: [weight * (math.log(ALPHA) - log_total) for log_total in log_totals]
        for kind, weight in KIND_WEIGHTS.items()
    }
    weights: dict[str, list[float]] = {}
    for k, (label, log_total) in enumerate(zip(classes, log_totals, strict=True)):
        for feature, count in counts[label].items():
            row = weights.get(feature)
            if row is None:
                row = weights[feature] = list(unseen[feature[0]])
            row[k] = KIND_WEIGHTS[feature[0]] * (math.log(count + ALPHA) - log_total)
    return ReplyModel(classes, weights, lexicon, memory)


def _by_rule(
    decided: phrase_rules.Decided, data_request: bool, written: str, set_aside: tuple[str, ...]
) -> Prediction:
    """A phrase rule's answer; the opt-out phrases it set aside (negated, a preference) said."""
    match, beside = decided.match, decided.beside
    if beside is not None:
        reasons: tuple[str, ...] = (beside.why(match),)
        said = explain.beside_opt_out(beside.kind, beside.sentence, match, written)
    else:
        reasons = (f"rule {match.rule}: {match.phrase[:80]!r}",)
        said = explain.by_rule(match.rule, match.phrase, written)
    if set_aside and decided.label is not ReplyClass.unsubscribe:
        reasons = (f"not an opt-out, {set_aside[0][:100]}", *reasons)
        said = f"{said}; {explain.set_aside(set_aside[0])}"
    return Prediction(
        label=decided.label,
        confidence=1.0,
        reasons=reasons,
        data_request=data_request,
        rule=beside.rule if beside is not None else match.rule,
        opt_out=match if beside is not None else None,
        explanation=said,
    )
