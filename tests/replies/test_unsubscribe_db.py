"""The opt-out on both databases: suppressed forever, lead stopped, planned steps skipped."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Campaign,
    Channel,
    Event,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Suppression,
    SuppressionKind,
    SuppressionSource,
)
from cam.core.safety import Grounds
from cam.replies.event_payloads import Unsubscribed
from cam.replies.unsubscribe import unsubscribe

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ONE_CLICK = Grounds(SuppressionSource.one_click, "POST List-Unsubscribe=One-Click")
PHRASE = Grounds(SuppressionSource.phrase, "unsubscribe.request: 'remove me'")


def _seed(sessions: SessionFactory) -> tuple[int, int]:
    """One lead with a sent step 1 and planned steps 2 and 3; another lead untouched."""
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="default", name="Default")
        joe = Lead(email="joe@example.com", status=LeadStatus.contacted, next_step_at=NOW)
        ann = Lead(email="ann@example.com", status=LeadStatus.scheduled)
        session.add_all([campaign, joe, ann])
        session.flush()
        statuses = [OutreachStatus.sent, OutreachStatus.planned, OutreachStatus.planned]
        for step, status in enumerate(statuses, start=1):
            session.add(
                OutreachMessage(
                    lead_id=joe.id,
                    campaign_id=campaign.id,
                    step=step,
                    channel=Channel.email,
                    scheduled_at=NOW,
                    status=status,
                )
            )
        session.add(
            OutreachMessage(
                lead_id=ann.id,
                campaign_id=campaign.id,
                step=1,
                channel=Channel.email,
                scheduled_at=NOW,
            )
        )
        return joe.id, ann.id


def test_unsubscribe_stops_everything_for_the_address(sessions: SessionFactory) -> None:
    joe_id, ann_id = _seed(sessions)
    with unit_of_work(sessions) as session:
        assert unsubscribe(session, "  JOE@Example.com", ONE_CLICK) is True

    with sessions() as session:
        joe = session.get_one(Lead, joe_id)
        assert joe.status is LeadStatus.unsubscribed
        assert joe.status_reason == "unsubscribed (one-click)"
        assert joe.next_step_at is None
        rows = session.scalars(
            select(OutreachMessage).where(OutreachMessage.lead_id == joe_id).order_by("step")
        ).all()
        assert [r.status for r in rows] == [
            OutreachStatus.sent,
            OutreachStatus.skipped,
            OutreachStatus.skipped,
        ]
        assert rows[1].reason == "unsubscribed (one-click)"
        suppression = session.scalars(select(Suppression)).one()
        assert (suppression.kind, suppression.value) == (SuppressionKind.email, "joe@example.com")
        event = session.scalars(select(Event).where(Event.name == Unsubscribed.name)).one()
        assert event.details["email"] == "joe@example.com"
        assert event.details["source"] == "one_click"
        assert (suppression.source, suppression.evidence) == (ONE_CLICK.source, ONE_CLICK.evidence)
        assert event.details["outreach_skipped"] == 2
        # The other lead is untouched.
        assert session.get_one(Lead, ann_id).status is LeadStatus.scheduled
        ann_row = session.scalars(
            select(OutreachMessage).where(OutreachMessage.lead_id == ann_id)
        ).one()
        assert ann_row.status is OutreachStatus.planned


def test_unsubscribe_is_idempotent(sessions: SessionFactory) -> None:
    _seed(sessions)
    with unit_of_work(sessions) as session:
        assert unsubscribe(session, "joe@example.com", ONE_CLICK) is True
    with unit_of_work(sessions) as session:
        assert unsubscribe(session, "Joe@EXAMPLE.com", PHRASE) is False
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
        names = session.scalars(select(Event.name)).all()
        assert names.count(Unsubscribed.name) == 1


def test_unsubscribe_of_an_unknown_address_still_suppresses_it(sessions: SessionFactory) -> None:
    with unit_of_work(sessions) as session:
        assert unsubscribe(session, "Stranger@Elsewhere.org", PHRASE) is True
    with sessions() as session:
        assert session.scalars(select(Suppression.value)).all() == ["stranger@elsewhere.org"]


def test_existing_suppression_in_another_case_is_reused(sessions: SessionFactory) -> None:
    joe_id, _ = _seed(sessions)
    with unit_of_work(sessions) as session:
        session.add(Suppression(kind=SuppressionKind.email, value="JOE@example.com", reason="csv"))
    with unit_of_work(sessions) as session:
        # Nothing new suppressed, but the lead still had to be stopped.
        assert unsubscribe(session, "joe@example.com", ONE_CLICK) is True
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
        assert session.get_one(Lead, joe_id).status is LeadStatus.unsubscribed


def test_a_rolled_back_unsubscribe_leaves_nothing(sessions: SessionFactory) -> None:
    _seed(sessions)
    with sessions() as session, session.begin():
        unsubscribe(session, "joe@example.com", ONE_CLICK)
        session.rollback()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0


def test_empty_address_changes_nothing(sessions: SessionFactory) -> None:
    with unit_of_work(sessions) as session:
        assert unsubscribe(session, "   ", ONE_CLICK) is False
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_concurrent_clicks_record_one_opt_out(sessions: SessionFactory) -> None:
    joe_id, _ = _seed(sessions)
    barrier = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            with unit_of_work(sessions) as session:
                results.append(unsubscribe(session, "joe@example.com", ONE_CLICK))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(results) == [False, False, False, True]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
        assert session.scalars(select(Event.name)).all().count(Unsubscribed.name) == 1
        assert session.get_one(Lead, joe_id).status is LeadStatus.unsubscribed
