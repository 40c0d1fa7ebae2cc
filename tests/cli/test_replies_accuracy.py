"""`cam replies accuracy`: the classifier against the team's decisions, over the last N days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cam.cli import app
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import Reply, ReplyClass, ReplyLabel, TriageChoice, utcnow

runner = CliRunner()
# (classifier, team, days ago): two agree, one was corrected, one is older than the window.
DECISIONS = [
    (ReplyClass.interested, TriageChoice.interested, 1),
    (ReplyClass.not_interested, TriageChoice.not_interested, 2),
    (ReplyClass.question, TriageChoice.interested, 3),
    (ReplyClass.other, TriageChoice.unsubscribe, 45),
    (ReplyClass.question, TriageChoice.snooze, 1),
]


@pytest.fixture
def labelled(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    engine = make_engine(db_url)
    now = utcnow()
    with unit_of_work(session_factory(engine)) as session:
        for n, (predicted, choice, days) in enumerate(DECISIONS):
            reply = Reply(message_id=f"<m{n}@x>", classification=predicted)
            session.add(reply)
            session.flush()
            session.add(
                ReplyLabel(
                    reply_id=reply.id,
                    choice=choice,
                    predicted=predicted,
                    label=None if choice is TriageChoice.snooze else ReplyClass(choice.value),
                    decided_by="USALES1",
                    decided_at=now - timedelta(days=days),
                )
            )
    engine.dispose()
    return {"DATABASE_URL": db_url}


def test_the_matrix_counts_the_decisions_of_the_window(labelled: dict[str, str]) -> None:
    result = runner.invoke(app, ["replies", "accuracy", "--days", "30"], env=labelled)
    assert result.exit_code == 0, result.output
    assert "last 30 days" in result.output and "2 of 3 agreed (67%)" in result.output
    rows = {w[0]: w[1:] for line in result.output.splitlines() if (w := line.split())}
    # Columns: interested, not_interested, question (the classes seen); rows: the classifier.
    assert rows["interested"] == ["1", "·", "·"]
    assert rows["question"] == ["1", "·", "·"]

    wider = runner.invoke(app, ["replies", "accuracy", "--days", "60"], env=labelled)
    assert "2 of 4 agreed (50%)" in wider.output


def test_no_decisions_says_so(db_url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["replies", "accuracy"], env={"DATABASE_URL": db_url})
    assert result.exit_code == 0
    assert "No reply was labelled on a card in the last 30 days." in result.output
