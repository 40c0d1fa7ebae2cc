"""Turn an engine `Notification` row into the Slack post that delivers it."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot import queries
from bot.blocks.answer_later import cancelled_post, due_post, scheduled_post
from bot.blocks.approval import approval_post
from bot.blocks.common import SlackPost
from bot.blocks.digest import digest_post
from bot.blocks.reply_card import reply_card_post
from bot.blocks.report import interrupted_post, report_post
from bot.blocks.switches import switch_post
from bot.blocks.task import task_post
from bot.signing import Signer
from cam.core import runs
from cam.core.enums import AnswerEvent
from cam.core.models import (
    Answer,
    CycleRun,
    Lead,
    ManualTask,
    Notification,
    NotificationTopic,
)
from cam.core.notices import (
    ApprovalPayload,
    CyclePayload,
    DigestPayload,
    ReplyCardPayload,
    ScheduledAnswerPayload,
    SwitchPayload,
    TaskPayload,
    payload_of,
)
from cam.core.report import CAMCycleReport
from cam.digest import runs as digest_runs

log = logging.getLogger(__name__)

__all__ = ["SlackPost", "render_notification"]


def render_notification(
    session: Session,
    notification: Notification,
    *,
    signer: Signer,
    workspace_url: str | None = None,
    owners: queries.Owners = queries.NO_OWNERS,
) -> SlackPost | None:
    """Build the post for `notification`, or None when there is nothing left to say.

    None means the thing it announces is gone (or the topic is not one the bot knows):
    the caller marks the row delivered rather than retrying it forever. `workspace_url` lets
    the digest link to the messages it lists; `owners` names whom a lead's cards mention;
    `signer` signs a reply card's buttons.
    """
    try:
        topic = NotificationTopic(notification.topic)
    except ValueError:
        log.warning("notification %s has unknown topic %r", notification.id, notification.topic)
        return None
    if topic in (NotificationTopic.cycle_report, NotificationTopic.cycle_interrupted):
        run = session.get(CycleRun, payload_of(notification, CyclePayload).cycle_id)
        if run is None:
            return None
        if topic is NotificationTopic.cycle_interrupted:
            return interrupted_post(run)
        return _cycle_report(session, run)
    if topic is NotificationTopic.approval:
        return _approval(session, payload_of(notification, ApprovalPayload).approval_id, owners)
    if topic is NotificationTopic.task:
        return _task(session, payload_of(notification, TaskPayload).task_id, owners)
    if topic is NotificationTopic.reply_card:
        reply_id = payload_of(notification, ReplyCardPayload).reply_id
        card = queries.reply_card(session, reply_id, owners)
        return reply_card_post(card, signer) if card is not None else None
    if topic is NotificationTopic.digest:
        return _digest(session, payload_of(notification, DigestPayload).digest_id, workspace_url)
    if topic is NotificationTopic.switch_changed:
        return switch_post(payload_of(notification, SwitchPayload))
    if topic is NotificationTopic.scheduled_answer:
        return _scheduled_answer(session, payload_of(notification, ScheduledAnswerPayload))
    log.warning("notification %s: the notifier renders %s itself", notification.id, topic.value)
    return None


def _cycle_report(session: Session, run: CycleRun) -> SlackPost | None:
    report = queries.run_report(run)
    if report is None:
        return None
    previous = _previous_report(session, run)
    return report_post(
        report, previous=previous, pending=queries.pending(session), trigger=run.trigger
    )


def _previous_report(session: Session, run: CycleRun) -> CAMCycleReport | None:
    """The report to compare with; one stored by an older version that no longer parses is
    left out rather than blocking every later report."""
    before = runs.previous_run(session, run)
    if before is None:
        return None
    try:
        return queries.run_report(before)
    except ValidationError:
        log.warning("the report of cycle %s cannot be read; not compared", before.id)
        return None


def _approval(session: Session, approval_id: int, owners: queries.Owners) -> SlackPost | None:
    item = queries.approval(session, approval_id, owners)
    return approval_post(item) if item is not None else None


def _task(session: Session, task_id: int, owners: queries.Owners) -> SlackPost | None:
    task = session.get(ManualTask, task_id)
    lead = session.get(Lead, task.lead_id) if task is not None else None
    if task is None or lead is None:
        return None
    return task_post(task, lead, owner=queries.owner_of(lead, owners))


def _scheduled_answer(session: Session, payload: ScheduledAnswerPayload) -> SlackPost | None:
    answer = session.get(Answer, payload.answer_id)
    if answer is None:
        return None
    if payload.event is AnswerEvent.scheduled:
        return scheduled_post(answer)
    if payload.event is AnswerEvent.cancelled:
        return cancelled_post(answer)
    return due_post(answer)


def _digest(session: Session, digest_id: int, workspace_url: str | None) -> SlackPost | None:
    digest = digest_runs.load_digest(session, digest_id)
    return digest_post(digest, workspace_url=workspace_url) if digest is not None else None
