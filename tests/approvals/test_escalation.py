"""Phase 5: each new hot lead gets one pending escalation, with the reply that made it hot."""

from __future__ import annotations

from sqlalchemy import func, select

from cam import events
from cam.approvals import escalate_hot_leads
from cam.db import unit_of_work
from cam.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Event,
    LeadStatus,
    Notification,
    Reply,
    ReplyClass,
)
from tests.approvals.helpers import add_lead, cycle_context


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
        escalated = session.scalars(select(Event).where(Event.name == events.LEADS_ESCALATED))
        assert [e.details for e in escalated] == [{"count": 2}]
        requested = session.scalar(
            select(func.count()).where(Event.name == events.APPROVAL_REQUESTED)
        )
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


def test_many_hot_leads_in_batches(sessions):
    with unit_of_work(sessions) as session:
        for n in range(1203):
            add_lead(session, f"lead{n}@x{n % 40}.example", replies=())

    ctx = cycle_context(sessions)
    escalate_hot_leads(ctx)

    assert ctx.report.approvals_requested == 1203
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Approval)) == 1203
        assert session.scalar(select(func.count(func.distinct(Approval.lead_id)))) == 1203
        assert session.scalar(select(func.count()).where(Approval.reply_id.is_not(None))) == 0
