"""`cam replies labels`: who labelled what, its trust; an approver undoes one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cam.cli import app
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import Event, Reply, ReplyClass, ReplyLabel, TriageChoice, utcnow

runner = CliRunner()


@pytest.fixture
def one_label(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    with unit_of_work(session_factory(make_engine(db_url))) as session:
        reply = Reply(message_id="<m@x>", from_address="x@acme.example")
        session.add(reply)
        session.flush()
        session.add(
            ReplyLabel(
                reply_id=reply.id,
                choice=TriageChoice.unsubscribe,
                predicted=ReplyClass.interested,
                label=ReplyClass.unsubscribe,
                decided_by="UMALLORY9",
                decided_at=utcnow(),
                card_channel="C0REPORTS",
                card_ts="1700000001.000100",
            )
        )
    return db_url


def test_labels_are_listed_and_only_an_approver_undoes_one(one_label: str) -> None:
    env = {"DATABASE_URL": one_label, "CAM_APPROVERS": "UAPPROVER1", "COLUMNS": "200"}
    listed = runner.invoke(app, ["replies", "labels", "--by", "UMALLORY9"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "UMALLORY9" in listed.output and "waits for an approver" in listed.output
    assert "1700000001.000100" in listed.output

    refused = runner.invoke(app, ["replies", "labels", "undo", "1", "--by", "UMALLORY9"], env=env)
    assert refused.exit_code == 1 and "Only approvers" in refused.output
    done = runner.invoke(app, ["replies", "labels", "undo", "1", "--by", "UAPPROVER1"], env=env)
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["replies", "labels"], env=env)
    assert "undone" in listed.output
    with session_factory(make_engine(one_label))() as session:
        label = session.scalars(select(ReplyLabel)).one()
        event = session.scalars(select(Event).where(Event.name == "cam.label_undone")).one()
    assert label.undone_by == "UAPPROVER1" and event.details["by"] == "UAPPROVER1"
