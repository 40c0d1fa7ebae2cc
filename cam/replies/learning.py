"""Learning from the team: each trusted label on a reply card trains the reply model.

The model is the corpus model retrained with the team's trusted labels (`labels.learnable`:
an approver's, two people's, or a rule's too; never an undone one), which outweigh corpus
examples (`classifier.team_example`). It is trained again only when the set of those labels
changed (one small query of their ids per read of the mailbox): a trusted correction counts
for the very next reply, and an undone one stops counting as soon.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Reply, ReplyLabel
from cam.replies import labels
from cam.replies.classifier import (
    LabelledText,
    ReplyModel,
    default_model,
    model_with,
    team_example,
)
from cam.replies.parser import ParsedReply
from cam.replies.rules import Classification, classify, load_rules

Classify = Callable[[ParsedReply], Classification]


def team_examples(session: Session) -> list[LabelledText]:
    """Every reply the team labelled with a trusted class, as a training example."""
    rows = session.execute(
        select(Reply.body_excerpt, Reply.subject, ReplyLabel.label)
        .join(ReplyLabel, ReplyLabel.reply_id == Reply.id)
        .where(labels.learnable())
        .order_by(ReplyLabel.id)
    ).all()
    return [team_example(text, label, subject) for text, subject, label in rows if label]


class LearningClassifier:
    """The rules of `rules_file` and the reply model trained with the team's labels."""

    def __init__(self, session_factory: SessionFactory, rules_file: Path, zone: ZoneInfo) -> None:
        self._sessions = session_factory
        self._rules_file = rules_file
        self._zone = zone
        self._lock = threading.Lock()
        self._trained_on: tuple[int, ...] | None = None
        self._model: ReplyModel | None = None

    def model(self) -> ReplyModel:
        """The model for the labels stored now, retrained if they changed since last time."""
        with unit_of_work(self._sessions) as session:
            learnable = select(ReplyLabel.id).where(labels.learnable()).order_by(ReplyLabel.id)
            key = tuple(session.scalars(learnable))
            with self._lock:
                if self._model is not None and key == self._trained_on:
                    return self._model
            examples = team_examples(session)
        # Without labels the corpus model is the answer, trained once per process.
        model = model_with(examples) if examples else default_model()
        with self._lock:
            self._model, self._trained_on = model, key
        return model

    def for_moment(self, now: datetime) -> Classify:
        """The classifier for mail read at `now` (return dates are relative to that day)."""
        rules = load_rules(self._rules_file)
        model = self.model()
        today = now.astimezone(self._zone).date()
        return lambda parsed: classify(parsed, rules, today=today, model=model)


def classifier_for(
    session_factory: SessionFactory, rules_file: Path, zone: ZoneInfo
) -> Callable[[datetime], Classify]:
    """Return `LearningClassifier(...).for_moment`: what phase 4 and the watcher classify with."""
    return LearningClassifier(session_factory, rules_file, zone).for_moment
