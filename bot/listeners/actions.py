"""Buttons: approve / reject an approval, retry its CRM sync, done / skip a LinkedIn task.

The ack comes at once; the decision, the CRM call and the message update run on the worker.
The engine makes each decision once, so a double click or a retried request changes nothing
more; what the person sees follows from the decision's `Outcome` (bot/blocks/decision.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import queries
from bot.blocks.approval import approval_post
from bot.blocks.common import SlackPost
from bot.blocks.decision import ANSWERS
from bot.blocks.task import SKIP_REASONS, task_post
from bot.deps import Deps
from bot.errors import user_message
from bot.ids import ActionId
from bot.listeners import card_messages
from bot.listeners.clicks import Clicked, clicked_of, tell
from bot.listeners.home import publish_home
from bot.payloads import ApprovalRef, TaskRef
from bot.signing import signer_of
from cam.core.db import unit_of_work
from cam.core.models import Lead, NotificationTopic
from cam.escalation import crm_sync, decisions, tasks
from cam.escalation.outcomes import ApprovalChoice, Decision


def register(app: App) -> None:
    app.action(ActionId.approve)(approve)
    app.action(ActionId.reject)(reject)
    app.action(ActionId.retry_crm_sync)(retry_crm_sync)
    app.action(ActionId.task_done)(task_done)
    app.action(ActionId.task_skip)(task_skip)


def approve(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    _decide(ack, body, action, respond, deps, ApprovalChoice.approve)


def reject(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    _decide(ack, body, action, respond, deps, ApprovalChoice.reject)


def task_done(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ref = TaskRef.parse(action.get("value"))
    _task(ack, clicked_of(body, respond), ref, deps, tasks.TaskChoice.done)


def task_skip(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    selected = action.get("selected_option") or {}
    ref = TaskRef.parse(selected.get("value") if isinstance(selected, dict) else None)
    _task(ack, clicked_of(body, respond), ref, deps, tasks.TaskChoice.skipped)


def _decide(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    deps: Deps,
    choice: ApprovalChoice,
) -> None:
    ref = ApprovalRef.parse(action.get("value"))
    clicked = clicked_of(body, respond)
    ack()
    _later(
        deps,
        clicked,
        ref.approval_id,
        lambda: decisions.decide(
            deps.session_factory,
            approval_id=ref.approval_id,
            decided_by=clicked.user,
            choice=choice,
            approvers=deps.settings.approver_ids,
            crm=deps.gateways.crm,
            now=deps.clock(),
        ),
    )


def retry_crm_sync(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ref = ApprovalRef.parse(action.get("value"))
    clicked = clicked_of(body, respond)
    ack()
    _later(
        deps,
        clicked,
        ref.approval_id,
        lambda: crm_sync.retry_sync(
            deps.session_factory,
            approval_id=ref.approval_id,
            by=clicked.user,
            approvers=deps.settings.approver_ids,
            crm=deps.gateways.crm,
            now=deps.clock(),
        ),
    )


def _later(deps: Deps, clicked: Clicked, approval_id: int, act: Callable[[], Decision]) -> None:
    """Run `act` on the worker, then show its outcome: the messages, and the clicker's answer."""

    def show() -> None:
        decision = act()
        answer = ANSWERS[decision.outcome]
        if answer.refresh:
            _refresh_approval(deps, clicked, approval_id)
        told = answer.told(decision)
        if told is not None:
            tell(deps, clicked, told)
        elif clicked.in_home:
            publish_home(deps, clicked.user)

    deps.worker.submit(
        "decide", show, on_error=lambda error: tell(deps, clicked, user_message(error))
    )


def _refresh_approval(deps: Deps, clicked: Clicked, approval_id: int) -> None:
    """Show the approval as it is now wherever it was posted, and on its reply's cards."""
    with unit_of_work(deps.session_factory) as session:
        item = queries.approval(session, approval_id, deps.owners)
        post = approval_post(item) if item is not None else None
        targets = _targets(session, clicked, NotificationTopic.approval, approval_id)
        lead_id = item.approval.lead_id if item is not None else None
        # An escalation asked by a reply card is decided on that card: it shows the outcome.
        cards = card_messages.card_updates(
            session, signer=signer_of(deps.settings), lead_id=lead_id, owners=deps.owners
        )
    for (channel, ts), card in sorted(cards.items()):
        targets.discard((channel, ts))
        deps.client.chat_update(channel=channel, ts=ts, text=card.text, blocks=card.blocks)
    if post is not None:
        _update(deps.client, targets, post)


def _task(ack: Ack, clicked: Clicked, ref: TaskRef, deps: Deps, choice: tasks.TaskChoice) -> None:
    ack()
    done = choice is tasks.TaskChoice.done
    note = None if done else SKIP_REASONS.get(ref.reason or "", "skipped")
    deps.worker.submit(
        "task",
        lambda: _task_later(deps, clicked, ref.task_id, choice, note),
        on_error=lambda error: tell(deps, clicked, user_message(error)),
    )


def _task_later(
    deps: Deps, clicked: Clicked, task_id: int, choice: tasks.TaskChoice, note: str | None
) -> None:
    with unit_of_work(deps.session_factory) as session:
        task = tasks.decide_task(
            session, task_id=task_id, by=clicked.user, choice=choice, note=note, now=deps.clock()
        )
        lead = session.get(Lead, task.lead_id)
        owner = queries.owner_of(lead, deps.owners)
        post = task_post(task, lead, owner=owner) if lead is not None else None
        targets = _targets(session, clicked, NotificationTopic.task, task_id)
    if post is not None:
        _update(deps.client, targets, post)


def _targets(
    session: Session, clicked: Clicked, topic: NotificationTopic, item_id: int
) -> set[tuple[str, str]]:
    """Where the message about this approval or task is: the clicked one, and the posted one."""
    found = queries.posted_messages(session, topic, item_id)
    if clicked.channel and clicked.ts:
        found.add((clicked.channel, clicked.ts))
    return found


def _update(client: WebClient, targets: set[tuple[str, str]], post: SlackPost) -> None:
    for channel, ts in sorted(targets):
        client.chat_update(channel=channel, ts=ts, text=post.text, blocks=post.blocks)
