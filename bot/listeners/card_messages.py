"""Where a reply's card was posted, and what it shows now: for updates after a decision."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import queries
from bot.blocks.common import SlackPost
from bot.blocks.reply_card import reply_card_post
from cam.core.models import NotificationTopic
from cam.core.notices import ReplyCardPayload


def card_updates(
    session: Session,
    clicked: tuple[str | None, str | None] | None,
    *,
    reply_id: int | None = None,
    lead_id: int | None = None,
    owners: queries.Owners = queries.NO_OWNERS,
) -> dict[tuple[str, str], SlackPost]:
    """The posted cards of a reply (or of every reply of a lead), each in its current form.

    `clicked`, the (channel, ts) of the message clicked, is one of them when a reply is named.
    """
    key, wanted = ("reply_id", reply_id) if reply_id is not None else ("lead_id", lead_id)
    if wanted is None:
        return {}
    rows = queries.posted(session, NotificationTopic.reply_card, key, wanted)
    where = {
        (channel, ts): payload.reply_id
        for channel, ts, payload in rows
        if isinstance(payload, ReplyCardPayload)
    }
    if clicked is not None and clicked[0] and clicked[1] and reply_id is not None:
        where[(clicked[0], clicked[1])] = reply_id
    updates: dict[tuple[str, str], SlackPost] = {}
    for (channel, ts), card_reply in where.items():
        card = queries.reply_card(session, card_reply, owners)
        if channel and ts and card is not None:
            updates[(channel, ts)] = reply_card_post(card)
    return updates
