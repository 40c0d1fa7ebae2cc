"""Reply classifier: cross-validation on the training corpus, for calibrating on it alone.

    .venv/bin/python -m bench.reply_crossval [--folds 5] [--show-misses]

The held-out corpus (`bench.reply_classifier`) is for measuring, never for tuning; choices made
while developing the model are checked here instead, on `cam/data/reply_corpus.jsonl` only:

- stratified k-fold: each fifth of every class is predicted by a model trained on the rest;
- leave one language out: each language's replies are predicted by a model trained on the other
  six, which says how far the cross-language concepts carry to a language the model barely saw.

Prints accuracy overall and recall per class for both, and the confusion matrix of the k-fold.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable, Sequence

from bench.run_all import emit
from cam.core.models import ReplyClass
from cam.replies import classifier
from cam.replies.classifier import CorpusRow, LabelledText

# A fixed shuffle: the folds, and so the figures, are the same on every run.
SEED = 20261130

Pairs = Counter[tuple[ReplyClass, ReplyClass]]


def predict_fold(train_rows: Sequence[CorpusRow], test_rows: Sequence[CorpusRow]) -> Pairs:
    """Train on `train_rows`, predict `test_rows`; count (truth, predicted) pairs."""
    model = classifier.train(LabelledText(r.text, r.label, r.subject) for r in train_rows)
    return Counter((r.label, model.predict(r.text, r.subject).label) for r in test_rows)


def stratified_folds(rows: Sequence[CorpusRow], k: int) -> list[list[int]]:
    """Split row indices into `k` folds with each class spread evenly over them."""
    by_class: dict[ReplyClass, list[int]] = {}
    for i, row in enumerate(rows):
        by_class.setdefault(row.label, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    shuffle = random.Random(SEED)
    for label in sorted(by_class):
        members = by_class[label]
        shuffle.shuffle(members)
        for n, i in enumerate(members):
            folds[n % k].append(i)
    return folds


def cross_validate(rows: Sequence[CorpusRow], groups: Sequence[Sequence[int]]) -> list[Pairs]:
    """Predict each group with a model trained on every other row; one count per group."""
    return [
        predict_fold(
            [r for i, r in enumerate(rows) if i not in set(group)], [rows[i] for i in group]
        )
        for group in groups
    ]


def emit_scores(name: str, pairs: Pairs) -> None:
    """Emit accuracy and recall per class of one cross-validation."""
    total = sum(pairs.values())
    correct = sum(n for (truth, said), n in pairs.items() if truth is said)
    emit(f"{name} accuracy (n={total})", round(100 * correct / total, 1), "%")
    for label in sorted({truth for truth, _ in pairs}):
        count = sum(n for (truth, _), n in pairs.items() if truth is label)
        emit(
            f"{name} recall {label.value} (n={count})",
            round(100 * pairs[(label, label)] / count, 1),
            "%",
        )


def print_confusion(pairs: Pairs) -> None:
    classes = sorted({c for pair in pairs for c in pair})
    width = max(len(c.value) for c in classes)
    print("confusion (rows: label, columns: predicted):")
    print(" " * width, *(c.value[:8].rjust(8) for c in classes))
    for truth in classes:
        print(truth.value.rjust(width), *(str(pairs[(truth, p)]).rjust(8) for p in classes))


def show_misses(rows: Sequence[CorpusRow], groups: Sequence[Sequence[int]]) -> None:
    """Print each reply the k-fold got wrong, with the model's reasons."""
    for group in groups:
        held = set(group)
        model = classifier.train(
            LabelledText(r.text, r.label, r.subject) for i, r in enumerate(rows) if i not in held
        )
        for i in group:
            row = rows[i]
            said = model.predict(row.text, row.subject)
            if said.label is not row.label:
                print(
                    f"- {row.lang} {row.label.value} -> {said.label.value}:", repr(row.text[:110])
                )
                print("     ", said.reasons)


def by_language(rows: Sequence[CorpusRow]) -> list[list[int]]:
    langs: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        langs.setdefault(row.lang, []).append(i)
    return [langs[lang] for lang in sorted(langs)]


def main(read: Callable[[], list[CorpusRow]] = classifier.read_corpus) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show-misses", action="store_true")
    args, _ = parser.parse_known_args()
    rows = read()
    folds = stratified_folds(rows, args.folds)
    kfold = sum(cross_validate(rows, folds), Counter())
    emit_scores(f"{args.folds}-fold", kfold)
    print_confusion(kfold)
    languages = by_language(rows)
    per_language = cross_validate(rows, languages)
    emit_scores("leave-one-language-out", sum(per_language, Counter()))
    for group, pairs in zip(languages, per_language, strict=True):
        right = sum(n for (truth, said), n in pairs.items() if truth is said)
        print(f"  {rows[group[0]].lang} unseen: {100 * right / len(group):.1f}% (n={len(group)})")
    if args.show_misses:
        show_misses(rows, folds)


if __name__ == "__main__":
    main()
