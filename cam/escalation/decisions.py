"""Phase 5 and the decisions people take: escalating hot leads to the CRM, and going live.

A decision is one conditional UPDATE on the pending row: whoever changes it wins, so a double
click, a Slack retry or two instances at once give exactly one decision and one CRM call.
The CRM is called after that commit, under a claim on the approval, so a crash or a CRM failure
leaves an approved escalation that a retry finishes with the ids already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import CursorResult, case, exists, func, insert, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cam.core import events
from cam.core.context import CycleContext
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Lead,
    LeadStatus,
    Notification,
    Reply,
    ReplyClass,
    TriageChoice,
)
from cam.core.state import set_dry_run
from cam.gateways.base import CrmLead, CrmRefs, CrmSyncer, CrmSyncError
from cam.leads import lifecycle as lead_lifecycle
from cam.replies import labels

log = logging.getLogger(__name__)

PHASE = "escalate"
GO_LIVE_TTL = timedelta(hours=24)
# A CRM call older than this with no outcome is taken to have died with its process.
CRM_SYNC_LEASE = timedelta(minutes=5)
# Held by the one pending go-live request, released when it is decided or expires.
GO_LIVE_PENDING_KEY = "go_live:pending"
BATCH = 500


class UnknownApproval(LookupError):
    """No approval has this id."""


class Decision(BaseModel):
    """What became of one attempt to decide an approval."""

    approval_id: int
    kind: ApprovalKind
    status: ApprovalStatus
    decided_by: str | None
    decided_at: datetime | None
    changed: bool  # this call took the decision
    refused: str | None = None  # why the attempt was turned down
    error: str | None = None  # the CRM sync failed; the decision stands
    crm_synced: bool = False


def escalate_hot_leads(ctx: CycleContext) -> None:
    """Ask for approval of each hot lead that has none yet, with the reply that made it hot."""
    with unit_of_work(ctx.session_factory) as session:
        created = request_escalations(
            session, _unescalated_hot_leads(session), ctx.clock(), cycle_id=ctx.cycle_id
        )
        events.record(session, events.LEADS_ESCALATED, {"count": len(created)}, ctx.cycle_id)
    ctx.report.approvals_requested += len(created)


def request_escalations(
    session: Session,
    candidates: list[tuple[int, int | None]],
    now: datetime,
    *,
    cycle_id: int | None = None,
    notify: bool = True,
) -> list[tuple[int, int | None]]:
    """Ask for approval of each (lead id, reply id) with none yet; return (approval, lead) ids.

    `notify=False` when the reply's own card carries the approval's buttons: no second message.
    """
    created: list[tuple[int, int | None]] = []
    for start in range(0, len(candidates), BATCH):
        created += _insert_escalations(session, candidates[start : start + BATCH], now)
    created.sort()
    if created and notify:
        session.execute(
            insert(Notification),
            [{"topic": "approval", "payload": {"approval_id": aid}} for aid, _ in created],
        )
    events.record_many(
        session,
        events.APPROVAL_REQUESTED,
        [
            {"approval_id": aid, "kind": ApprovalKind.escalate_lead.value, "lead_id": lid}
            for aid, lid in created
        ],
        cycle_id,
    )
    return created


def _unescalated_hot_leads(session: Session) -> list[tuple[int, int | None]]:
    """Return (lead id, reply id) of hot leads with no escalation; prefer an interested reply."""
    interested = (
        select(Reply.lead_id, func.max(Reply.id).label("reply_id"))
        .where(Reply.classification == ReplyClass.interested)
        .group_by(Reply.lead_id)
        .subquery()
    )
    latest = (
        select(Reply.lead_id, func.max(Reply.id).label("reply_id"))
        .group_by(Reply.lead_id)
        .subquery()
    )
    already = exists().where(
        Approval.lead_id == Lead.id, Approval.kind == ApprovalKind.escalate_lead
    )
    rows = session.execute(
        select(Lead.id, func.coalesce(interested.c.reply_id, latest.c.reply_id))
        .outerjoin(interested, interested.c.lead_id == Lead.id)
        .outerjoin(latest, latest.c.lead_id == Lead.id)
        .where(Lead.status == LeadStatus.hot, ~already)
        .order_by(Lead.id)
    ).all()
    return [(lead_id, reply_id) for lead_id, reply_id in rows]


def _insert_escalations(
    session: Session, batch: list[tuple[int, int | None]], now: datetime
) -> list[tuple[int, int | None]]:
    """Insert pending escalations, skipping any another instance inserted first."""
    if not batch:
        return []
    rows = [
        {
            "kind": ApprovalKind.escalate_lead,
            "status": ApprovalStatus.pending,
            "dedupe_key": f"escalate_lead:{lead_id}",
            "lead_id": lead_id,
            "reply_id": reply_id,
            "requested_by": "cam",
            "requested_at": now,
        }
        for lead_id, reply_id in batch
    ]
    dialect = session.get_bind().dialect.name
    insert_ignoring = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert_ignoring(Approval)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Approval.id, Approval.lead_id)
    )
    return [(approval_id, lead_id) for approval_id, lead_id in session.execute(stmt).all()]


def request_go_live(session: Session, *, requested_by: str, now: datetime) -> Approval:
    """Ask to switch dry-run off; a request still pending and unexpired is reused."""
    expire_stale(session, now)
    pending = _pending_go_live(session)
    if pending is not None:
        return pending
    approval = Approval(
        kind=ApprovalKind.go_live,
        status=ApprovalStatus.pending,
        dedupe_key=GO_LIVE_PENDING_KEY,
        requested_by=requested_by,
        requested_at=now,
        expires_at=now + GO_LIVE_TTL,
    )
    try:
        with session.begin_nested():
            session.add(approval)
    except IntegrityError:
        # Another request won the race for the single pending slot: reuse it.
        pending = _pending_go_live(session)
        if pending is None:
            raise
        return pending
    session.add(Notification(topic="approval", payload={"approval_id": approval.id}))
    events.record(
        session,
        events.APPROVAL_REQUESTED,
        {"approval_id": approval.id, "kind": ApprovalKind.go_live.value, "by": requested_by},
    )
    return approval


def _pending_go_live(session: Session) -> Approval | None:
    return session.scalars(
        select(Approval).where(Approval.dedupe_key == GO_LIVE_PENDING_KEY)
    ).one_or_none()


def expire_stale(session: Session, now: datetime) -> int:
    """Mark pending approvals past their expiry as expired; return how many."""
    expired = (
        session.execute(
            update(Approval)
            .where(
                Approval.status == ApprovalStatus.pending,
                Approval.expires_at.is_not(None),
                Approval.expires_at <= now,
            )
            .values(
                status=ApprovalStatus.expired,
                decided_at=now,
                dedupe_key=case(
                    (Approval.kind == ApprovalKind.go_live, null()), else_=Approval.dedupe_key
                ),
            )
            .returning(Approval.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    for approval_id in expired:
        events.record(
            session,
            events.APPROVAL_DECIDED,
            {"approval_id": approval_id, "status": ApprovalStatus.expired.value, "by": None},
        )
    session.expire_all()
    return len(expired)


def decide(
    session_factory: SessionFactory,
    *,
    approval_id: int,
    decided_by: str,
    approve: bool,
    approvers: frozenset[str],
    crm: CrmSyncer,
    now: datetime,
) -> Decision:
    """Approve or reject an approval once, whoever else tries at the same moment."""
    with unit_of_work(session_factory) as session:
        approval = session.get(Approval, approval_id)
        if approval is None:
            raise UnknownApproval(f"no approval with id {approval_id}")
        refusal = _refusal(session, approval, decided_by, approve, approvers, now)
        if refusal is not None:
            events.record(
                session,
                events.APPROVAL_REFUSED,
                {"approval_id": approval_id, "by": decided_by, "reason": refusal},
            )
            return _decision(approval, changed=False, refused=refusal)
        won = approval.status is ApprovalStatus.pending and _take(
            session, approval, decided_by, approve, now
        )
        session.refresh(approval)
        decision = _decision(approval, changed=won)
        if won:
            _apply(session, approval, decided_by, approve, now)
    if approval.kind is not ApprovalKind.escalate_lead or approval.crm_synced_at is not None:
        return decision
    if approval.status is not ApprovalStatus.approved or not (won or approve):
        return decision
    # The winner calls the CRM; an approver approving again retries a sync that failed.
    synced, error = _sync_crm(session_factory, approval_id, crm, now, claimed=won)
    return decision.model_copy(update={"crm_synced": synced, "error": error})


def _refusal(
    session: Session,
    approval: Approval,
    by: str,
    approve: bool,
    approvers: frozenset[str],
    now: datetime,
) -> str | None:
    """Say why `by` may not take this decision, or None when they may."""
    if by not in approvers:
        return "only approvers may decide"
    if approval.status is not ApprovalStatus.pending:
        return None
    if approval.expires_at is not None and approval.expires_at <= now:
        expire_stale(session, now)
        session.refresh(approval)
        return "this request has expired; ask again"
    if approval.kind is ApprovalKind.go_live and approve:
        return _four_eyes_refusal(session, approval, by, approvers, now)
    return None


def _four_eyes_refusal(
    session: Session, approval: Approval, by: str, approvers: frozenset[str], now: datetime
) -> str | None:
    """Going live takes two different approvers: one who asks, another who approves.

    A request by someone who is not an approver (one stored before this rule) is withdrawn,
    so that its single pending slot does not block an approver's request until it expires.
    """
    if approval.requested_by not in approvers:
        session.execute(
            update(Approval)
            .where(Approval.id == approval.id, Approval.status == ApprovalStatus.pending)
            .values(status=ApprovalStatus.rejected, decided_at=now, dedupe_key=None)
            .execution_options(synchronize_session=False)
        )
        events.record(
            session,
            events.APPROVAL_DECIDED,
            {"approval_id": approval.id, "status": ApprovalStatus.rejected.value, "by": None},
        )
        session.refresh(approval)
        return (
            "going live needs two approvers, and this request was not made by one; "
            "it is withdrawn: an approver can ask again with `/cam live`"
        )
    if by == approval.requested_by:
        return "going live needs an approver other than the one who asked"
    return None


def _take(session: Session, approval: Approval, by: str, approve: bool, now: datetime) -> bool:
    """Decide with one conditional UPDATE; True if this call changed the pending row."""
    values: dict[str, Any] = {
        "status": ApprovalStatus.approved if approve else ApprovalStatus.rejected,
        "decided_by": by,
        "decided_at": now,
    }
    if approval.kind is ApprovalKind.go_live:
        values["dedupe_key"] = None
    elif approve:
        values["crm_sync_started_at"] = now  # the winner holds the CRM claim from the start
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Approval)
            .where(Approval.id == approval.id, Approval.status == ApprovalStatus.pending)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def _apply(session: Session, approval: Approval, by: str, approve: bool, now: datetime) -> None:
    """Carry out what the winning decision means, in its transaction."""
    if approval.kind is ApprovalKind.go_live and approve:
        set_dry_run(session, dry_run=False, by=by, now=now)
    elif approval.kind is ApprovalKind.escalate_lead and approval.lead_id is not None:
        lead = session.get(Lead, approval.lead_id)
        if lead is not None and approve:
            if lead_lifecycle.may_move(lead.status, LeadStatus.escalated):
                lead.status = LeadStatus.escalated
            lead.status_reason = f"escalation approved by {by}"
            reply = session.get(Reply, approval.reply_id) if approval.reply_id else None
            if reply is not None:
                # Approving confirms the reply is interest: a label the classifier learns from.
                labels.record(session, reply, TriageChoice.interested, by=by, now=now)
        elif lead is not None:
            lead.status_reason = f"escalation rejected by {by}"
    events.record(
        session,
        events.APPROVAL_DECIDED,
        {
            "approval_id": approval.id,
            "kind": approval.kind.value,
            "status": approval.status.value,
            "by": by,
            "lead_id": approval.lead_id,
        },
    )


def _decision(
    approval: Approval, *, changed: bool, refused: str | None = None, error: str | None = None
) -> Decision:
    return Decision(
        approval_id=approval.id,
        kind=approval.kind,
        status=approval.status,
        decided_by=approval.decided_by,
        decided_at=approval.decided_at,
        changed=changed,
        refused=refused,
        error=error,
        crm_synced=approval.crm_synced_at is not None,
    )


def retry_crm_sync(
    session_factory: SessionFactory,
    *,
    crm: CrmSyncer,
    now: datetime,
    approval_ids: Iterable[int] | None = None,
) -> list[Decision]:
    """Finish the CRM sync of approved escalations that have none yet, reusing stored ids.

    With no CRM configured this does nothing: the backlog waits until one is.
    """
    if not crm.configured:
        return []
    with unit_of_work(session_factory) as session:
        query = select(Approval.id).where(*_unsynced()).order_by(Approval.id)
        if approval_ids is not None:
            query = query.where(Approval.id.in_(list(approval_ids)))
        ids = list(session.scalars(query))
    decisions = []
    for approval_id in ids:
        synced, error = _sync_crm(session_factory, approval_id, crm, now, claimed=False)
        with unit_of_work(session_factory) as session:
            approval = session.get_one(Approval, approval_id)
            decisions.append(
                _decision(approval, changed=False).model_copy(
                    update={"crm_synced": synced, "error": error}
                )
            )
    return decisions


def _unsynced() -> tuple[Any, ...]:
    return (
        Approval.kind == ApprovalKind.escalate_lead,
        Approval.status == ApprovalStatus.approved,
        Approval.crm_synced_at.is_(None),
    )


def _sync_crm(
    session_factory: SessionFactory,
    approval_id: int,
    crm: CrmSyncer,
    now: datetime,
    *,
    claimed: bool,
) -> tuple[bool, str | None]:
    """Call the CRM once under a claim on the approval; store the ids or the error."""
    with unit_of_work(session_factory) as session:
        if not claimed and not _claim(session, approval_id, now):
            approval = session.get_one(Approval, approval_id)
            # Synced already, or another call holds the claim and reports its own outcome.
            return approval.crm_synced_at is not None, None
        approval = session.get_one(Approval, approval_id)
        crm_lead = _crm_lead(session, approval)
    if crm_lead is None:
        return _finish(session_factory, approval_id, None, "the lead no longer exists", now)
    try:
        refs = crm.sync(crm_lead)
    except CrmSyncError as exc:
        return _finish(session_factory, approval_id, exc.refs, str(exc), now)
    except Exception as exc:
        log.exception("CRM sync of approval %s failed", approval_id)
        return _finish(session_factory, approval_id, None, str(exc) or type(exc).__name__, now)
    return _finish(session_factory, approval_id, refs, None, now)


def _claim(session: Session, approval_id: int, now: datetime) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Approval)
            .where(
                Approval.id == approval_id,
                *_unsynced(),
                or_(
                    Approval.crm_sync_started_at.is_(None),
                    Approval.crm_sync_started_at < now - CRM_SYNC_LEASE,
                ),
            )
            .values(crm_sync_started_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def _crm_lead(session: Session, approval: Approval) -> CrmLead | None:
    lead = session.get(Lead, approval.lead_id) if approval.lead_id is not None else None
    if lead is None:
        return None
    reply = session.get(Reply, approval.reply_id) if approval.reply_id is not None else None
    return CrmLead(
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company,
        title=lead.title,
        score=lead.score,
        score_reasons=tuple(lead.score_reasons),
        reply_subject=reply.subject if reply else "",
        reply_text=reply.body_excerpt if reply else "",
        contact_id=lead.crm_contact_id,
        deal_id=lead.crm_deal_id,
    )


def _finish(
    session_factory: SessionFactory,
    approval_id: int,
    refs: CrmRefs | None,
    error: str | None,
    now: datetime,
) -> tuple[bool, str | None]:
    """Store what the CRM call gave: ids (even partial ones), and the outcome."""
    with unit_of_work(session_factory) as session:
        approval = session.get_one(Approval, approval_id, with_for_update=True)
        lead = session.get(Lead, approval.lead_id) if approval.lead_id is not None else None
        if lead is not None and refs is not None:
            lead.crm_contact_id = refs.contact_id or lead.crm_contact_id
            lead.crm_deal_id = refs.deal_id or lead.crm_deal_id
        approval.crm_sync_started_at = None
        if error is None:
            approval.crm_synced_at = now
            approval.crm_error = None
            events.record(
                session,
                events.CRM_SYNCED,
                {
                    "approval_id": approval_id,
                    "lead_id": approval.lead_id,
                    "contact_id": lead.crm_contact_id if lead else None,
                    "deal_id": lead.crm_deal_id if lead else None,
                },
            )
            return True, None
        approval.crm_error = error[:1000]
        events.record(
            session,
            events.ERROR,
            {"phase": "crm", "approval_id": approval_id, "message": error[:1000]},
        )
        return False, error
