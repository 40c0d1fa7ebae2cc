"""Reply classifier: cross-validation on the training corpus, for calibrating on it alone.

    .venv/bin/python -m bench.reply_crossval [--folds 5] [--show-misses] [--chain]

The held-out corpus (`bench.reply_classifier`) is for measuring, never for tuning; choices made
while developing the model are checked here instead, on `cam/data/reply_corpus.jsonl` only:

- stratified k-fold: each fifth of every class is predicted by a model trained on the rest;
- leave one language out: each language's replies are predicted by a model trained on the other
  six, which says how far the cross-language concepts carry to a language the model barely saw.

Prints accuracy overall and recall per class for both, the confusion matrix of the k-fold, and
how many interested replies and questions were read as opt-outs (the mistake that must not
happen). `--chain` reads each held-out reply as a card does (written out as a mail, parsed,
classified by headers, phrases, absences, the keyword rules, then the fold's model, which may
abstain), as `bench.reply_classifier` does, instead of by the model alone.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache

from bench.reply_classifier import SENT, as_mail
from bench.run_all import emit
from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies import classifier, rules
from cam.replies.classifier import CorpusRow, LabelledText, ReplyModel
from cam.replies.parser import parse_reply

# A fixed shuffle: the folds, and so the figures, are the same on every run.
SEED = 20261130

Pairs = Counter[tuple[ReplyClass, ReplyClass]]


Reader = Callable[[ReplyModel, CorpusRow], ReplyClass]


def by_model(model: ReplyModel, row: CorpusRow) -> ReplyClass:
    """The model's class for a reply's text, phrase rules included."""
    return model.predict(row.text, row.subject).label


def by_chain(model: ReplyModel, row: CorpusRow) -> ReplyClass:
    """The class a card shows: the reply as a mail, parsed and classified by the whole chain."""
    reply = parse_reply(as_mail(row.subject, row.text))
    return rules.classify(reply, _rules(), today=SENT.date(), model=model).kind


@cache
def _rules() -> rules.CompiledRules:
    return rules.load_rules(DATA_DIR / "replies.toml")


def predict_fold(
    train_rows: Sequence[CorpusRow], test_rows: Sequence[CorpusRow], read: Reader = by_model
) -> Pairs:
    """Train on `train_rows`, predict `test_rows`; count (truth, predicted) pairs."""
    model = classifier.train(LabelledText(r.text, r.label, r.subject) for r in train_rows)
    return Counter((r.label, read(model, r)) for r in test_rows)


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


def cross_validate(
    rows: Sequence[CorpusRow], groups: Sequence[Sequence[int]], read: Reader = by_model
) -> list[Pairs]:
    """Predict each group with a model trained on every other row; one count per group."""
    return [
        predict_fold(
            [r for i, r in enumerate(rows) if i not in set(group)], [rows[i] for i in group], read
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
    wanted = (ReplyClass.interested, ReplyClass.question)
    emit(
        f"{name} interested or question read as unsubscribe",
        sum(pairs[(label, ReplyClass.unsubscribe)] for label in wanted),
        "",
        "0",
        all(pairs[(label, ReplyClass.unsubscribe)] == 0 for label in wanted),
    )


def print_confusion(pairs: Pairs) -> None:
    classes = sorted({c for pair in pairs for c in pair})
    width = max(len(c.value) for c in classes)
    print("confusion (rows: label, columns: predicted):")
    print(" " * width, *(c.value[:8].rjust(8) for c in classes))
    for truth in classes:
        print(truth.value.rjust(width), *(str(pairs[(truth, p)]).rjust(8) for p in classes))


def show_misses(rows: Sequence[CorpusRow], groups: Sequence[Sequence[int]], read: Reader) -> None:
    """Print each reply the k-fold got wrong, with the model's reasons."""
    for group in groups:
        held = set(group)
        model = classifier.train(
            LabelledText(r.text, r.label, r.subject) for i, r in enumerate(rows) if i not in held
        )
        for i in group:
            row = rows[i]
            said = read(model, row)
            if said is not row.label:
                print(f"- {row.lang} {row.label.value} -> {said.value}:", repr(row.text[:110]))
                print("     ", model.predict(row.text, row.subject).reasons)


def by_language(rows: Sequence[CorpusRow]) -> list[list[int]]:
    langs: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        langs.setdefault(row.lang, []).append(i)
    return [langs[lang] for lang in sorted(langs)]


def main(read: Callable[[], list[CorpusRow]] = classifier.read_corpus) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--chain", action="store_true")
    args, _ = parser.parse_known_args()
    reader, kind = (by_chain, " whole chain") if args.chain else (by_model, "")
    rows = read()
    folds = stratified_folds(rows, args.folds)
    kfold = sum(cross_validate(rows, folds, reader), Counter())
    emit_scores(f"{args.folds}-fold{kind}", kfold)
    print_confusion(kfold)
    languages = by_language(rows)
    per_language = cross_validate(rows, languages, reader)
    emit_scores(f"leave-one-language-out{kind}", sum(per_language, Counter()))
    for group, pairs in zip(languages, per_language, strict=True):
        right = sum(n for (truth, said), n in pairs.items() if truth is said)
        print(f"  {rows[group[0]].lang} unseen: {100 * right / len(group):.1f}% (n={len(group)})")
    if args.show_misses:
        show_misses(rows, folds, reader)


if __name__ == "__main__":
    main()
