"""Add as a lead, on the card of a notice that names someone to write to instead.

The click is checked as the card's other buttons are (`card_guard`: our signed value for this
card, from the card's channel, by whom may triage); then the engine adds the stand-in once
(`cam.leads.referrals`). A second click adds nothing and tells its clicker who added them
when; a refusal (invalid, suppressed, blocked, a lead already) is told to the clicker alone.
The card then says who added the lead. The ack comes at once; the rest runs on the worker.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import queries
from bot.blocks.approval import who
from bot.blocks.common import escape, slack_date
from bot.deps import Deps
from bot.errors import user_message
from bot.ids import ActionId
from bot.listeners import card_guard, card_messages
from bot.listeners.clicks import Clicked, clicked_of, tell
from bot.payloads import CardAction
from bot.signing import signer_of
from cam.core.db import unit_of_work
from cam.core.state import get_state
from cam.leads import referrals
from cam.replies import triage
from cam.replies.triage import UnknownReply

ACTION = CardAction.add_referral


def register(app: App) -> None:
    app.action(ActionId.add_referral)(click)


def click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    clicked = clicked_of(body, respond)
    ack()
    deps.worker.submit(
        "referral",
        lambda: _act(deps, clicked, action.get("value")),
        on_error=lambda error: tell(deps, clicked, user_message(error)),
    )


def _act(deps: Deps, clicked: Clicked, value: object) -> None:
    sessions, settings = deps.session_factory, deps.settings
    ref = card_guard.signed_ref(sessions, settings, value=value, action=ACTION, clicked=clicked)
    with unit_of_work(sessions) as session:
        card = queries.reply_card(session, ref.reply_id, deps.owners)
        if card is None:
            raise UnknownReply(f"no reply with id {ref.reply_id}")
        why = card_guard.refusal(
            session, ref=ref, action=ACTION, clicked=clicked, settings=settings
        )
        # Once added, the engine answers who added them: the card no longer offers it.
        if why is None and card.referred is None and not card_guard.offers(card, ACTION):
            why = "the card does not offer that now"
        if why is None:
            outcome = referrals.add_referral(
                session,
                deps.config.cycle_config(get_state(session)),
                reply_id=ref.reply_id,
                by=clicked.user,
                now=deps.clock(),
            )
    if why is not None:
        raise triage.refused(
            sessions, reply_id=ref.reply_id, by=clicked.user, action=ACTION.value, why=why
        )
    if isinstance(outcome, referrals.Refused):
        tell(deps, clicked, f"Not added: {escape(outcome.why)}.")
        return
    if not outcome.changed:
        added = f"{escape(outcome.name)}, by {who(outcome.by)} {slack_date(outcome.at)}"
        tell(deps, clicked, f"Already added as a lead: {added}.")
    signer = signer_of(settings)
    card_messages.show_reply(deps.client, sessions, signer, deps.owners, ref.reply_id)
