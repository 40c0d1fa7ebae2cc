"""Going live: asked by one approver, approved by another, within 24 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cam.core.db import unit_of_work
from cam.core.event_payloads import StateChanged
from cam.core.models import Approval, ApprovalKind, ApprovalStatus, Event, Notification
from cam.core.state import get_state
from cam.escalation.decisions import decide
from cam.escalation.event_payloads import ApprovalRefused
from cam.escalation.expiry import expire_stale
from cam.escalation.go_live import request_go_live
from cam.escalation.outcomes import REFUSALS, ApprovalChoice, Outcome
from tests.escalation.helpers import APPROVERS, NOW, RecordingCrm


def ask(sessions, by: str = "U_ANA", now=NOW) -> int:
    with unit_of_work(sessions) as session:
        return request_go_live(session, requested_by=by, now=now).id


def go_live(sessions, approval_id: int, by: str, now=NOW, choice=ApprovalChoice.approve):
    return decide(
        sessions,
        approval_id=approval_id,
        decided_by=by,
        choice=choice,
        approvers=APPROVERS,
        crm=RecordingCrm(),
        now=now,
    )


def test_request_is_reused_while_pending(sessions):
    first = ask(sessions)
    second = ask(sessions, by="U_BOB", now=NOW + timedelta(hours=3))

    assert first == second
    with unit_of_work(sessions) as session:
        approval = session.get_one(Approval, first)
        assert approval.kind is ApprovalKind.go_live
        assert approval.requested_by == "U_ANA"
        assert approval.expires_at == NOW + timedelta(hours=24)
        notes = session.scalars(select(Notification)).all()
        assert [(n.topic, n.payload) for n in notes] == [("approval", {"approval_id": first})]


def test_the_requester_cannot_approve_but_another_approver_can(sessions):
    approval_id = ask(sessions, by="U_ANA")

    own = go_live(sessions, approval_id, "U_ANA")

    assert own.outcome is Outcome.same_approver
    assert REFUSALS[own.outcome] == "going live needs an approver other than the one who asked"
    with unit_of_work(sessions) as session:
        assert get_state(session).dry_run is True

    later = NOW + timedelta(hours=2)
    other = go_live(sessions, approval_id, "U_BOB", now=later)

    assert other.outcome is Outcome.approved and other.status is ApprovalStatus.approved
    with unit_of_work(sessions) as session:
        state = get_state(session)
        assert state.dry_run is False
        assert state.live_since == later
        assert state.mailbox_started_on == later.date()
        assert state.updated_by == "U_BOB"
        changed = session.scalars(select(Event).where(Event.name == StateChanged.name))
        assert [e.details for e in changed] == [{"by": "U_BOB", "dry_run": False}]
        refused = session.scalars(select(Event).where(Event.name == ApprovalRefused.name))
        assert [e.details["by"] for e in refused] == ["U_ANA"]
    # Decided: the next request is a new one.
    assert ask(sessions, by="U_BOB", now=later) != approval_id


def test_the_requester_may_withdraw_their_own_request(sessions):
    approval_id = ask(sessions, by="U_ANA")

    withdrawn = go_live(sessions, approval_id, "U_ANA", choice=ApprovalChoice.reject)

    assert withdrawn.outcome is Outcome.rejected and withdrawn.status is ApprovalStatus.rejected
    with unit_of_work(sessions) as session:
        assert get_state(session).dry_run is True


def test_expires_after_24_hours(sessions):
    approval_id = ask(sessions, by="U_ANA")

    late = go_live(sessions, approval_id, "U_BOB", now=NOW + timedelta(hours=24))

    assert late.outcome is Outcome.expired
    assert late.status is ApprovalStatus.expired
    assert REFUSALS[late.outcome] == "this request has expired; ask again"
    with unit_of_work(sessions) as session:
        assert get_state(session).dry_run is True
        expired = session.get_one(Approval, approval_id)
        assert expired.status is ApprovalStatus.expired
        assert expired.decided_by is None
    fresh = ask(sessions, by="U_ANA", now=NOW + timedelta(hours=25))
    assert fresh != approval_id


def test_expire_stale_touches_only_overdue_go_live_requests(sessions):
    old = ask(sessions, by="U_ANA")
    with unit_of_work(sessions) as session:
        session.add(Approval(kind=ApprovalKind.escalate_lead, dedupe_key="escalate_lead:1"))

    with unit_of_work(sessions) as session:
        assert expire_stale(session, NOW + timedelta(hours=23)) == 0
    with unit_of_work(sessions) as session:
        assert expire_stale(session, NOW + timedelta(hours=24, seconds=1)) == 1
    with unit_of_work(sessions) as session:
        statuses = dict(session.execute(select(Approval.id, Approval.status)).all())
        assert statuses[old] is ApprovalStatus.expired
        assert sorted(statuses.values()) == [ApprovalStatus.expired, ApprovalStatus.pending]
        assert session.scalar(select(func.count()).where(Approval.dedupe_key.is_(None))) == 1
