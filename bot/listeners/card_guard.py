"""What a click on a reply card must satisfy before anything is done: the card's own terms.

Slack signs the request, not what it names: a member can send back any button value, any
channel and any `ts`. So a click counts only with a value we signed for the card's reply,
for an action that value offers and the card still offers as it is now, from the channel the
card lives in, and not from another card's message; and, when `CAM_TRIAGERS` names who may
decide, from one of them. Where the card is comes from what was stored when it was posted.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.blocks.reply_card import ReplyCard, offered
from bot.listeners import card_messages
from bot.listeners.clicks import Clicked
from bot.payloads import BadPayload, CardAction, CardRef
from bot.settings import BotSettings
from bot.signing import signer_of
from cam.core.db import SessionFactory
from cam.replies import triage

# The state in which an action is on offer: the second step of Unsubscribe needs the first.
_OFFERED_AS = {CardAction.unsubscribe_confirmed: CardAction.unsubscribe}


def signed_ref(
    sessions: SessionFactory,
    settings: BotSettings,
    *,
    value: object,
    action: CardAction,
    clicked: Clicked,
) -> CardRef:
    """The card a click's value names, if we signed it; else the refusal, recorded, to raise."""
    try:
        return signer_of(settings).read(value, CardRef)
    except BadPayload as exc:
        forged = f"that button is not one CAM made ({exc})"
        raise triage.refused(
            sessions, reply_id=None, by=clicked.user, action=action.value, why=forged
        ) from None


def refusal(
    session: Session,
    *,
    ref: CardRef,
    action: CardAction,
    clicked: Clicked,
    settings: BotSettings,
) -> str | None:
    """Say why the click must not count, whatever the card shows now; None when it may."""
    if action not in ref.actions:
        return "that button does not do this"
    places = card_messages.card_places(session, ref.reply_id)
    channels = {channel for channel, _ts in places} or {settings.report_channel}
    if clicked.channel not in channels:
        return "reply cards are decided on the card, in the report channel"
    shown = card_messages.card_at(session, clicked.channel or "", clicked.ts or "")
    if shown is not None and shown != ref.reply_id:
        return "that button belongs to another card"
    triagers = settings.triager_ids
    if triagers and clicked.user not in triagers:
        return "only the people named in CAM_TRIAGERS (and approvers) decide on reply cards"
    return None


def offers(card: ReplyCard, action: CardAction) -> bool:
    """Whether the card, as it is now, offers `action`."""
    return _OFFERED_AS.get(action, action) in offered(card)
