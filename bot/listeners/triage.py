"""The buttons of a reply card: Interested, Not interested, Unsubscribe, Snooze until a date.

Anyone in the report channel may triage a reply (the decision is recorded under their name);
only sending a lead to the CRM needs an approver, on the escalation that Interested requests.
The ack comes at once; the decision and the card's update run on the worker. The engine takes
each decision once, so a second click only tells the clicker who decided first.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond

from bot.blocks.approval import who
from bot.blocks.common import slack_date
from bot.deps import Deps
from bot.errors import user_message
from bot.ids import ActionId, BlockId
from bot.listeners import card_messages
from bot.listeners.actions import Clicked, clicked_of, tell
from bot.payloads import BadPayload, ReplyRef
from cam.core.db import unit_of_work
from cam.core.models import TriageChoice
from cam.replies import triage

CHOICES = {
    ActionId.triage_interested: TriageChoice.interested,
    ActionId.triage_not_interested: TriageChoice.not_interested,
    ActionId.triage_unsubscribe: TriageChoice.unsubscribe,
    # The answer on a card only the model read as an opt-out (`cam.replies.opt_out_review`).
    ActionId.confirm_opt_out: TriageChoice.confirm_opt_out,
    ActionId.not_opt_out: TriageChoice.not_opt_out,
}


def register(app: App) -> None:
    for action_id in CHOICES:
        app.action(action_id)(choose)
    app.action(ActionId.triage_snooze)(snooze)


def choose(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ref = ReplyRef.parse(action.get("value"))
    choice = CHOICES[ActionId(action["action_id"])]
    _decide(ack, clicked_of(body, respond), deps, ref.reply_id, choice, None)


def snooze(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    block, _, reply_id = str(action.get("block_id", "")).partition(":")
    if block != BlockId.triage_actions or not reply_id.isdigit():
        raise BadPayload("date picker of an unknown card")
    try:
        until = date.fromisoformat(str(action.get("selected_date", "")))
    except ValueError:
        raise BadPayload("no date picked") from None
    choice = TriageChoice.snooze
    _decide(ack, clicked_of(body, respond), deps, int(reply_id), choice, until)


def _decide(
    ack: Ack,
    clicked: Clicked,
    deps: Deps,
    reply_id: int,
    choice: TriageChoice,
    until: date | None,
) -> None:
    ack()
    deps.worker.submit(
        "triage",
        lambda: _decide_later(deps, clicked, reply_id, choice, until),
        on_error=lambda error: tell(deps, clicked, user_message(error)),
    )


def _decide_later(
    deps: Deps, clicked: Clicked, reply_id: int, choice: TriageChoice, until: date | None
) -> None:
    result = triage.decide(
        deps.session_factory,
        reply_id=reply_id,
        choice=choice,
        by=clicked.user,
        now=deps.clock(),
        zone=ZoneInfo(deps.settings.timezone),
        snooze_until=until,
    )
    if not result.changed:
        what = result.choice.value.replace("_", " ")
        when = slack_date(result.decided_at)
        tell(deps, clicked, f"Already decided: {what}, by {who(result.decided_by)} {when}.")
        return
    with unit_of_work(deps.session_factory) as session:
        updates = card_messages.card_updates(
            session, (clicked.channel, clicked.ts), reply_id=reply_id, owners=deps.owners
        )
    for (channel, ts), post in sorted(updates.items()):
        deps.client.chat_update(channel=channel, ts=ts, text=post.text, blocks=post.blocks)
