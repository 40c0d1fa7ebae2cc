"""`cam replies bounces`: each bounce of the last N days, why it failed and what it did."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cam.cli import app
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import Lead, LeadStatus, Reply, ReplyClass, utcnow

runner = CliRunner()


@pytest.fixture
def bounced(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    engine = make_engine(db_url)
    now = utcnow()
    with unit_of_work(session_factory(engine)) as session:
        gone = Lead(email="gone@northwind.example", status=LeadStatus.bounced)
        full = Lead(email="full@contoso.example", status=LeadStatus.contacted)
        session.add_all([gone, full])
        session.flush()
        rows = [
            (gone.id, "user_unknown", 1),
            (full.id, "mailbox_full", 3),
            (full.id, "mailbox_full", 2),
            (None, "blocked", 2),
            (full.id, "mailbox_full", 45),  # outside the window, and before a person's reply
            (full.id, None, 40),
        ]
        for n, (lead_id, reason, days) in enumerate(rows):
            kind = ReplyClass.bounce if reason else ReplyClass.interested
            session.add(
                Reply(
                    message_id=f"<b{n}@x>",
                    lead_id=lead_id,
                    from_address="postmaster@relay.example",
                    classification=kind,
                    bounce_reason=reason,
                    received_at=now - timedelta(days=days),
                )
            )
    engine.dispose()
    return {"DATABASE_URL": db_url}


def test_each_bounce_says_why_and_what_it_did(bounced: dict[str, str]) -> None:
    result = runner.invoke(app, ["replies", "bounces", "--days", "30"], env=bounced)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines() if ".example" in line]
    assert [(w[3], w[4], " ".join(w[5:])) for w in lines] == [
        ("gone@northwind.example", "user_unknown", "suppressed"),
        ("postmaster@relay.example", "blocked", "no lead matched"),
        ("full@contoso.example", "mailbox_full", "counted: 2 of 3 in a row"),
        ("full@contoso.example", "mailbox_full", "counted: 2 of 3 in a row"),
    ]


def test_no_bounces_says_so(db_url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["replies", "bounces"], env={"DATABASE_URL": db_url})
    assert result.exit_code == 0
    assert "No bounces in the last 30 days." in result.output
