"""Read what the bot shows from the database: a few set-based queries per screen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.blocks.approval import PendingApproval
from bot.blocks.reply_card import ReplyCard
from bot.blocks.status import LastRun, Status
from cam.core import notices, runs
from cam.core.models import (
    Answer,
    Approval,
    ApprovalKind,
    CycleRun,
    Lead,
    Notification,
    NotificationStatus,
    NotificationTopic,
    OutreachMessage,
    OutreachStatus,
    Reply,
    ReplyClass,
    ReplyLabel,
    TriageChoice,
)
from cam.core.notices import NoticePayload
from cam.core.report import CAMCycleReport
from cam.core.state import get_state
from cam.leads import referrals
from cam.replies import answer_later, watch_state

# Mailbox key -> its owner's Slack user ID: who is mentioned on a lead's cards.
Owners = Mapping[str, str]
NO_OWNERS: Owners = MappingProxyType({})


def owner_of(lead: Lead | None, owners: Owners) -> str:
    """The Slack user ID owning the lead's mailbox, or "" when it has none."""
    return owners.get(lead.mailbox or "", "") if lead is not None else ""


def with_subjects(
    session: Session, approvals: Sequence[Approval], owners: Owners = NO_OWNERS
) -> list[PendingApproval]:
    """Attach each approval's lead, reply and owner, loaded in two queries for all of them."""
    lead_ids = {a.lead_id for a in approvals if a.lead_id is not None}
    reply_ids = {a.reply_id for a in approvals if a.reply_id is not None}
    leads = (
        {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))}
        if lead_ids
        else {}
    )
    replies = (
        {reply.id: reply for reply in session.scalars(select(Reply).where(Reply.id.in_(reply_ids)))}
        if reply_ids
        else {}
    )
    found = []
    for a in approvals:
        lead = leads.get(a.lead_id) if a.lead_id is not None else None
        reply = replies.get(a.reply_id) if a.reply_id is not None else None
        found.append(
            PendingApproval(approval=a, lead=lead, reply=reply, owner=owner_of(lead, owners))
        )
    return found


def pending(session: Session) -> list[PendingApproval]:
    """Return the approvals still waiting, oldest first, with their leads and replies."""
    return with_subjects(session, runs.pending_approvals(session))


def approval(
    session: Session, approval_id: int, owners: Owners = NO_OWNERS
) -> PendingApproval | None:
    found = session.get(Approval, approval_id)
    return None if found is None else with_subjects(session, [found], owners)[0]


def run_report(run: CycleRun) -> CAMCycleReport | None:
    """Return the report stored on a finished run, or None while it runs."""
    return CAMCycleReport.model_validate(run.report) if run.report else None


def last_finished_run(session: Session) -> CycleRun | None:
    query = (
        select(CycleRun)
        .where(CycleRun.report.is_not(None), CycleRun.finished_at.is_not(None))
        .order_by(CycleRun.started_at.desc(), CycleRun.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def status(session: Session, next_run: datetime | None) -> Status:
    """Gather everything `/cam status` and the App Home show."""
    state = get_state(session)
    run = last_finished_run(session)
    report = run_report(run) if run is not None else None
    unknown = session.scalar(
        select(func.count())
        .select_from(OutreachMessage)
        .where(OutreachMessage.status == OutreachStatus.unknown)
    )
    return Status(
        dry_run=state.dry_run,
        paused=state.paused,
        next_run=next_run,
        last_run=(
            LastRun(report=report, trigger=run.trigger, finished_at=run.finished_at)
            if run is not None and report is not None
            else None
        ),
        pending=pending(session),
        unknown_outcomes=unknown or 0,
        replies=watch_state.watched(session),
    )


def reply_card(session: Session, reply_id: int, owners: Owners = NO_OWNERS) -> ReplyCard | None:
    """Load a reply with its lead, its label, the lead added from the stand-in it names and,
    when it is about interest, the escalation."""
    reply = session.get(Reply, reply_id)
    if reply is None:
        return None
    lead = session.get(Lead, reply.lead_id) if reply.lead_id is not None else None
    label = session.scalars(select(ReplyLabel).where(ReplyLabel.reply_id == reply_id)).first()
    interested = reply.classification is ReplyClass.interested or (
        label is not None and label.choice is TriageChoice.interested
    )
    escalation = (
        session.scalars(
            select(Approval).where(
                Approval.lead_id == lead.id, Approval.kind == ApprovalKind.escalate_lead
            )
        ).first()
        if lead is not None and interested
        else None
    )
    pending_approval = with_subjects(session, [escalation], owners)[0] if escalation else None
    return ReplyCard(
        reply=reply,
        lead=lead,
        label=label,
        approval=pending_approval,
        owner=owner_of(lead, owners),
        answer=first_answer(session, reply_id),
        scheduled=answer_later.pending(session, reply_id),
        referred=referrals.referred(session, reply_id) if reply.referral_email else None,
    )


def first_answer(session: Session, reply_id: int) -> Answer | None:
    """The reply's first answer that went out (or was kept in dry run)."""
    return session.scalars(
        select(Answer)
        .where(
            Answer.reply_id == reply_id,
            Answer.status.in_([OutreachStatus.sent, OutreachStatus.simulated]),
        )
        .order_by(Answer.id)
        .limit(1)
    ).first()


def posted(
    session: Session, topic: NotificationTopic, key: str, value: int
) -> list[tuple[str, str, NoticePayload]]:
    """(channel, ts, payload) of each message posted for `topic` whose payload's `key` is
    `value`: where to update it after a decision."""
    rows = session.execute(
        select(Notification.channel, Notification.external_id, Notification.payload).where(
            Notification.topic == topic,
            Notification.status == NotificationStatus.sent,
            notices.id_field(topic, key) == value,
        )
    ).all()
    model = notices.PAYLOADS[topic]
    return [
        (channel, ts, model.model_validate(payload))
        for channel, ts, payload in rows
        if channel and ts
    ]


def posted_at(
    session: Session, topic: NotificationTopic, channel: str, ts: str, key: str
) -> int | None:
    """The payload's `key` of the message posted for `topic` at (channel, ts), if any."""
    payload = session.scalar(
        select(Notification.payload).where(
            Notification.topic == topic,
            Notification.channel == channel,
            Notification.external_id == ts,
        )
    )
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, int) else None


# The payload key naming the item an approval or task message shows.
_ITEM_KEYS = {NotificationTopic.approval: "approval_id", NotificationTopic.task: "task_id"}


def posted_messages(
    session: Session, topic: NotificationTopic, item_id: int
) -> set[tuple[str, str]]:
    """(channel, ts) of each message posted about this approval or task."""
    return {(channel, ts) for channel, ts, _ in posted(session, topic, _ITEM_KEYS[topic], item_id)}
