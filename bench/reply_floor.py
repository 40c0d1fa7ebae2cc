"""Reply classifier: how often the model is right at each confidence, to place its floor.

    .venv/bin/python -m bench.reply_floor

Stratified 5-fold cross-validation on the training corpus only (the held-out corpus is for
measuring, never for tuning), counting the model's own answers (an explicit phrase is a rule,
not a guess). Prints accuracy per confidence band, and for each candidate floor how many answers
it holds back and how right those are: `classifier.CONFIDENCE_FLOOR` sits where the answers
below it are hardly better than the runner-up.
"""

from __future__ import annotations

from bench.reply_crossval import stratified_folds
from bench.run_all import emit
from cam.replies import classifier
from cam.replies.classifier import CONFIDENCE_FLOOR, LabelledText

BANDS = ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01))
FLOORS = (0.5, 0.55, 0.6, 0.65, 0.7)


def model_answers() -> list[tuple[float, bool]]:
    """(confidence, right) of each corpus reply the model classified, predicted out of fold."""
    rows = classifier.read_corpus()
    answers = []
    for group in stratified_folds(rows, 5):
        held = set(group)
        model = classifier.train(
            LabelledText(r.text, r.label, r.subject) for i, r in enumerate(rows) if i not in held
        )
        for i in group:
            said = model.predict(rows[i].text, rows[i].subject)
            if said.rule is None:
                answers.append((said.confidence, said.label is rows[i].label))
    return answers


def _accuracy(answers: list[tuple[float, bool]]) -> float:
    return round(100 * sum(right for _, right in answers) / len(answers), 1) if answers else 0.0


def main() -> None:
    answers = model_answers()
    for low, high in BANDS:
        band = [a for a in answers if low <= a[0] < high]
        emit(
            f"model answers {low:.1f}-{min(high, 1.0):.1f}: right (n={len(band)})",
            _accuracy(band),
            "%",
        )
    for floor in FLOORS:
        below = [a for a in answers if a[0] < floor]
        mark = " (chosen)" if floor == CONFIDENCE_FLOOR else ""
        emit(f"floor {floor:.2f}{mark}: held back", round(100 * len(below) / len(answers), 1), "%")
        emit(f"floor {floor:.2f}{mark}: right below it (n={len(below)})", _accuracy(below), "%")


if __name__ == "__main__":
    main()
