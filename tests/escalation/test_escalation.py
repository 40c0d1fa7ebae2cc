"""Phase 5: each new hot lead gets one pending escalation, with the reply that made it hot."""

from __future__ import annotations

from sqlalchemy import event, func, insert, select

from cam.core.db import unit_of_work
from cam.core.event_payloads import ApprovalRequested
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Event,
    Lead,
    LeadStatus,
    Notification,
    Reply,
    ReplyClass,
)
from cam.escalation.escalations import escalate_hot_leads
from cam.escalation.event_payloads import LeadsEscalated
from tests.escalation.helpers import add_lead, cycle_context


def test_one_approval_per_hot_lead_and_none_the_second_time(sessions):
    with unit_of_work(sessions) as session:
        ada = add_lead(
            session,
            "ada@a.example",
            replies=(ReplyClass.interested, ReplyClass.out_of_office),
        )
        bob = add_lead(session, "bob@b.example", replies=(ReplyClass.question,))
        add_lead(session, "cy@c.example", status=LeadStatus.replied)
        add_lead(session, "di@d.example", status=LeadStatus.escalated)
        ada_id, bob_id = ada.id, bob.id

    ctx = cycle_context(sessions)
    escalate_hot_leads(ctx)

    assert ctx.report.approvals_requested == 2
    with unit_of_work(sessions) as session:
        approvals = session.scalars(select(Approval).order_by(Approval.id)).all()
        assert [(a.lead_id, a.kind, a.status) for a in approvals] == [
            (ada_id, ApprovalKind.escalate_lead, ApprovalStatus.pending),
            (bob_id, ApprovalKind.escalate_lead, ApprovalStatus.pending),
        ]
        assert [a.dedupe_key for a in approvals] == [
            f"escalate_lead:{ada_id}",
            f"escalate_lead:{bob_id}",
        ]
        # Ada's interested reply made her hot, not the later auto-reply.
        ada_reply = session.get_one(Reply, approvals[0].reply_id)
        assert ada_reply.classification is ReplyClass.interested
        assert session.get_one(Reply, approvals[1].reply_id).from_address == "bob@b.example"
        notes = session.scalars(select(Notification).order_by(Notification.id)).all()
        assert [(n.topic, n.payload) for n in notes] == [
            ("approval", {"approval_id": approvals[0].id}),
            ("approval", {"approval_id": approvals[1].id}),
        ]
        escalated = session.scalars(select(Event).where(Event.name == LeadsEscalated.name))
        assert [e.details for e in escalated] == [{"count": 2}]
        requested = session.scalar(select(func.count()).where(Event.name == ApprovalRequested.name))
        assert requested == 2

    again = cycle_context(sessions)
    escalate_hot_leads(again)

    assert again.report.approvals_requested == 0
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Approval)) == 2
        assert session.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_decided_escalation_is_never_asked_again(sessions):
    with unit_of_work(sessions) as session:
        add_lead(session, "ada@a.example")
    escalate_hot_leads(cycle_context(sessions))
    with unit_of_work(sessions) as session:
        approval = session.scalars(select(Approval)).one()
        approval.status = ApprovalStatus.rejected

    ctx = cycle_context(sessions)
    escalate_hot_leads(ctx)

    assert ctx.report.approvals_requested == 0


def add_hot_leads(sessions, first: int, count: int) -> None:
    rows = [
        {"email": f"lead{n}@x{n % 40}.example", "status": LeadStatus.hot}
        for n in range(first, first + count)
    ]
    with unit_of_work(sessions) as session:
        session.execute(insert(Lead), rows)


def statements_of(engine, work) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_set_based_over_many_hot_leads(engine, sessions):
    add_hot_leads(sessions, 0, 100)
    small = cycle_context(sessions)
    small_count = statements_of(engine, lambda: escalate_hot_leads(small))
    add_hot_leads(sessions, 100, 1203)
    large = cycle_context(sessions)
    large_count = statements_of(engine, lambda: escalate_hot_leads(large))

    assert small.report.approvals_requested == 100
    assert large.report.approvals_requested == 1203
    # Two more batches of 500 than the small run: a few statements each, never one per lead.
    assert large_count - small_count <= 2 * 3
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Approval)) == 1303
        assert session.scalar(select(func.count(func.distinct(Approval.lead_id)))) == 1303
        assert session.scalar(select(func.count()).select_from(Notification)) == 1303
