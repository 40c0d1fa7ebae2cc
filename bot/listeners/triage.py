"""The buttons of a reply card: Interested, Not interested, Unsubscribe, Snooze, Agree.

Every click is checked against the card's own terms first (`bot.listeners.card_guard`); a
refused one is an event, and its clicker is told why. Unsubscribe takes two steps on the server: the
card's button only asks, privately, with a button of its own that acts. A decision acts on
the lead at once and is recorded under its clicker's name; the classifier learns from it
once trusted (an approver's, or Agree by a second person). Only sending a lead to the CRM
needs an approver, on the escalation that Interested requests. The ack comes at once; the
rest runs on the worker. The engine takes each decision once, so a second click only tells
the clicker who decided first. Cards are updated where they were posted, nowhere else.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond

from bot import queries
from bot.blocks.approval import who
from bot.blocks.common import slack_date
from bot.blocks.reply_card import ReplyCard, unsubscribe_question
from bot.deps import Deps
from bot.errors import user_message
from bot.ids import ActionId, BlockId
from bot.listeners import card_guard, card_messages
from bot.listeners.clicks import Clicked, clicked_of, tell
from bot.payloads import CardAction
from bot.signing import signer_of
from cam.core.db import unit_of_work
from cam.core.models import ReplyLabel, TriageChoice
from cam.replies import triage
from cam.replies.triage import TriageRefused, UnknownReply

ACTIONS = {
    ActionId.triage_interested: CardAction.interested,
    ActionId.triage_not_interested: CardAction.not_interested,
    ActionId.triage_unsubscribe: CardAction.unsubscribe,
    ActionId.triage_unsubscribe_confirm: CardAction.unsubscribe_confirmed,
    ActionId.triage_snooze: CardAction.snooze,
    ActionId.label_agree: CardAction.agree,
    ActionId.confirm_opt_out: CardAction.confirm_opt_out,
    ActionId.not_opt_out: CardAction.not_opt_out,
}
CHOICES = {
    CardAction.interested: TriageChoice.interested,
    CardAction.not_interested: TriageChoice.not_interested,
    CardAction.unsubscribe_confirmed: TriageChoice.unsubscribe,
    CardAction.snooze: TriageChoice.snooze,
    # The answer on a card only the model read as an opt-out (`cam.replies.opt_out_review`).
    CardAction.confirm_opt_out: TriageChoice.confirm_opt_out,
    CardAction.not_opt_out: TriageChoice.not_opt_out,
}


def register(app: App) -> None:
    for action_id in ACTIONS:
        app.action(action_id)(click)


def click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    clicked = clicked_of(body, respond)
    kind = ACTIONS[ActionId(action["action_id"])]
    ack()
    deps.worker.submit(
        "triage",
        lambda: _act(deps, clicked, kind, action),
        on_error=lambda error: tell(deps, clicked, user_message(error)),
    )


def _act(deps: Deps, clicked: Clicked, kind: CardAction, action: dict[str, Any]) -> None:
    sessions = deps.session_factory
    value = _signed_value(kind, action)
    ref = card_guard.signed_ref(sessions, deps.settings, value=value, action=kind, clicked=clicked)
    with unit_of_work(sessions) as session:
        card = queries.reply_card(session, ref.reply_id, deps.owners)
        if card is None:
            raise UnknownReply(f"no reply with id {ref.reply_id}")
        why = card_guard.refusal(
            session, ref=ref, action=kind, clicked=clicked, settings=deps.settings
        )
        if why is None and not card_guard.offers(card, kind):
            if kind in CHOICES and card.label is not None:
                tell(deps, clicked, _already(card.label))
                return
            why = "the card does not offer that now"
    if why is not None:
        raise triage.refused(
            sessions, reply_id=ref.reply_id, by=clicked.user, action=kind.value, why=why
        )
    if kind is CardAction.unsubscribe:
        _ask_to_unsubscribe(deps, clicked, card)
        return
    if kind is CardAction.agree:
        _agree(deps, clicked, ref.reply_id)
    else:
        _decide(deps, clicked, ref.reply_id, CHOICES[kind], _picked(action, kind))
    _show(deps, ref.reply_id)


def _signed_value(kind: CardAction, action: dict[str, Any]) -> object:
    """A button's value; a date picker has none, its block carries the signed value."""
    if kind is not CardAction.snooze:
        return action.get("value")
    block, _, value = str(action.get("block_id", "")).partition(":")
    return value if block == BlockId.triage_actions else None


def _picked(action: dict[str, Any], kind: CardAction) -> date | None:
    if kind is not CardAction.snooze:
        return None
    try:
        return date.fromisoformat(str(action.get("selected_date", "")))
    except ValueError:
        raise TriageRefused("no date picked") from None


def _ask_to_unsubscribe(deps: Deps, clicked: Clicked, card: ReplyCard) -> None:
    if clicked.respond is None:
        raise TriageRefused("unsubscribe from the card in the report channel")
    question = unsubscribe_question(card, signer_of(deps.settings))
    clicked.respond(
        text=question.text,
        blocks=question.blocks,
        response_type="ephemeral",
        replace_original=False,
    )


def _decide(
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
        card=(clicked.channel, clicked.ts) if clicked.channel and clicked.ts else None,
        approvers=deps.settings.approver_ids,
        per_hour=deps.settings.labels_per_hour,
    )
    if not result.changed:
        what = result.choice.value.replace("_", " ")
        when = slack_date(result.decided_at)
        tell(deps, clicked, f"Already decided: {what}, by {who(result.decided_by)} {when}.")


def _agree(deps: Deps, clicked: Clicked, reply_id: int) -> None:
    agreed = triage.agree(
        deps.session_factory,
        reply_id=reply_id,
        by=clicked.user,
        now=deps.clock(),
        approvers=deps.settings.approver_ids,
        per_hour=deps.settings.labels_per_hour,
    )
    if not agreed.changed:
        tell(deps, clicked, f"Already agreed, by {who(agreed.trusted_by)}.")


def _already(label: ReplyLabel) -> str:
    what = label.choice.value.replace("_", " ")
    return f"Already decided: {what}, by {who(label.decided_by)} {slack_date(label.decided_at)}."


def _show(deps: Deps, reply_id: int) -> None:
    signer = signer_of(deps.settings)
    card_messages.show_reply(deps.client, deps.session_factory, signer, deps.owners, reply_id)
