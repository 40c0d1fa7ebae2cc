"""One person's labels act on their leads but teach the classifier nothing until trusted.

The attack of the issue: one non-approver labels 50 interested-looking replies "unsubscribe"
(here, worst case, the held-out interested replies themselves). No held-out interested reply
may then read as unsubscribe. The same labels from an approver do teach: the check can fail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import LabelTrust, Reply, ReplyClass, ReplyLabel, TriageChoice
from cam.core.settings import DATA_DIR
from cam.replies import labels, triage
from cam.replies.classifier import ReplyModel, default_model
from cam.replies.learning import LearningClassifier
from tests.replies.prospects import add_prospect

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
APPROVER, MALLORY = "UAPPROVER1", "UMALLORY9"
HELDOUT = Path(__file__).parents[2] / "bench" / "data" / "reply_heldout.jsonl"


def _interested() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]
    return [(r["subject"], r["text"]) for r in rows if r["label"] == "interested"]


def _store(sessions: SessionFactory, texts: list[tuple[str, str]]) -> list[int]:
    with unit_of_work(sessions) as session:
        ids = []
        for n, (subject, text) in enumerate(texts):
            lead_id = add_prospect(session, f"p{n}@prospect{n}.example")
            reply = Reply(
                lead_id=lead_id,
                from_address=f"p{n}@prospect{n}.example",
                subject=subject,
                body_excerpt=text,
                classification=ReplyClass.interested,
                matched_rule="model interested 80%: a meeting",
                received_at=NOW,
            )
            session.add(reply)
            session.flush()
            ids.append(reply.id)
    return ids


def _read_as_unsubscribe(model: ReplyModel, texts: list[tuple[str, str]]) -> int:
    return sum(
        model.predict(text, subject).label is ReplyClass.unsubscribe for subject, text in texts
    )


def _attack(sessions: SessionFactory, ids: list[int], by: str) -> None:
    for n, reply_id in enumerate(ids):
        # Three minutes apart: 20 an hour, under the limit; the trust rule is what is tested.
        decided = triage.decide(
            sessions,
            reply_id=reply_id,
            choice=TriageChoice.unsubscribe,
            by=by,
            now=NOW + timedelta(minutes=3 * n),
            zone=ZONE,
            approvers={APPROVER},
        )
        assert decided.changed


def test_fifty_wrong_labels_from_one_person_turn_no_interested_reply_into_unsubscribe(
    sessions: SessionFactory,
) -> None:
    heldout = _interested()
    attacked = (heldout * 2)[:50]
    before = _read_as_unsubscribe(default_model(), heldout)
    _attack(sessions, _store(sessions, attacked), MALLORY)

    learning = LearningClassifier(sessions, DATA_DIR / "replies.toml", ZONE)
    assert _read_as_unsubscribe(learning.model(), heldout) == before
    with sessions() as session:
        stored = session.scalars(select(ReplyLabel)).all()
    assert len(stored) == 50 and all(label.trust is None for label in stored)
    assert {label.decided_by for label in stored} == {MALLORY}


def test_an_approvers_labels_do_teach(sessions: SessionFactory) -> None:
    heldout = _interested()
    before = _read_as_unsubscribe(default_model(), heldout)
    _attack(sessions, _store(sessions, heldout[:10]), APPROVER)
    learning = LearningClassifier(sessions, DATA_DIR / "replies.toml", ZONE)
    assert _read_as_unsubscribe(learning.model(), heldout[:10]) >= before + 8


def test_a_second_person_makes_a_label_teach_and_an_undone_one_stops(
    sessions: SessionFactory,
) -> None:
    heldout = _interested()[:1]
    [reply_id] = _store(sessions, heldout)
    _attack(sessions, [reply_id], MALLORY)
    learning = LearningClassifier(sessions, DATA_DIR / "replies.toml", ZONE)
    assert _read_as_unsubscribe(learning.model(), heldout) == 0

    agreed = triage.agree(sessions, reply_id=reply_id, by="UTRENT2", now=NOW)
    assert (agreed.trust, agreed.changed) == (LabelTrust.agreed, True)
    assert _read_as_unsubscribe(learning.model(), heldout) == 1

    with unit_of_work(sessions) as session:
        label = session.scalars(select(ReplyLabel)).one()
        labels.undo(session, label.id, by=APPROVER, now=NOW)
    assert _read_as_unsubscribe(learning.model(), heldout) == 0


def test_the_author_cannot_agree_with_their_own_label(sessions: SessionFactory) -> None:
    [reply_id] = _store(sessions, _interested()[:1])
    _attack(sessions, [reply_id], MALLORY)
    with pytest.raises(triage.TriageRefused, match="a second person"):
        triage.agree(sessions, reply_id=reply_id, by=MALLORY, now=NOW)
