"""Rendering stored notifications into Slack posts, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.render import render_notification
from bot.signing import Signer
from cam.core.db import unit_of_work
from cam.core.models import CycleRun, Notification
from cam.core.report import CAMCycleReport

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
SIGNER = Signer("test-key")


def test_an_unreadable_older_report_does_not_block_the_next_one(sessions):
    report = CAMCycleReport(start=T0, end=T0, leads_created=7, simulated=3)
    with unit_of_work(sessions) as session:
        old = CycleRun(kind="daily", started_at=T0, finished_at=T0, report={"dry_run": "?"})
        new = CycleRun(
            kind="daily", started_at=T0, finished_at=T0, report=report.model_dump(mode="json")
        )
        session.add_all([old, new])
        session.flush()
        broken = Notification(topic="cycle_report", payload={"cycle_id": old.id})
        latest = Notification(topic="cycle_report", payload={"cycle_id": new.id})
        session.add_all([broken, latest])
    with sessions() as session:
        # Its own notification fails to render (the notifier retries, then lets it go) ...
        with pytest.raises(ValidationError):
            render_notification(session, broken, signer=SIGNER)
        # ... but it does not stop the next report, which has nothing to compare with.
        post = render_notification(session, latest, signer=SIGNER)
    assert post is not None
    assert "DRY RUN" in str(post.blocks)
    assert "7" in str(post.blocks)


def test_a_notification_of_an_unknown_topic_renders_nothing(sessions):
    with sessions() as session:
        assert (
            render_notification(session, Notification(topic="nonsense", payload={}), signer=SIGNER)
            is None
        )
